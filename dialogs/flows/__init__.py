"""All flows, assembled into the one dialog that USSD and voice both run."""
from __future__ import annotations

from functools import lru_cache

from dialogs.dialog import Dialog
from dialogs.flows import (
    account, advice, expert, main_menu, pest, price_alerts, prices, registration, resume, subscribe, weather,
)

FLOWS = (registration, main_menu, weather, prices, price_alerts, advice, pest, expert, account, subscribe, resume)


@lru_cache(maxsize=1)
def farmer_dialog() -> Dialog:
    screens = [screen for flow in FLOWS for screen in flow.SCREENS]
    return Dialog(screens, home="main", welcome="language", resume="resume", shortcuts=main_menu.SHORTCUTS)
