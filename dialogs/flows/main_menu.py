"""The main menu a registered farmer lands on."""
from __future__ import annotations

from dialogs.screens import Choice, Menu
from dialogs.texts import N_

# What a farmer may say at the main menu instead of pressing a key (the NLU's intents) and where it leads; a crop
# named with it is chosen on that screen ("gehun ka bhav" -> wheat prices).
SHORTCUTS = {
    "weather": "weather",
    "market_price": "prices_crop",
    "crop_advisory": "advice_crop",
    "pest_disease": "pest_crop",
    "expert_callback": "expert",
    "subscribe": "subscribe",
    "payment_status": "account",
    "change_language": "account_language",
}

SCREENS = [
    Menu("main", title=N_("main.title"), title_params=lambda ctx: {"name": ctx.profile.name.split()[0]}, choices=(
        Choice(N_("main.weather"), target="weather"),
        Choice(N_("main.prices"), target="prices_crop"),
        Choice(N_("main.advice"), target="advice_crop"),
        Choice(N_("main.pest"), target="pest_crop"),
        Choice(N_("main.expert"), target="expert"),
        Choice(N_("main.account"), target="account"),
        Choice(N_("main.subscribe"), target="subscribe"),
    )),
]
