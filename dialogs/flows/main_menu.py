"""The main menu a registered farmer lands on."""
from __future__ import annotations

from dialogs.context import Ctx
from dialogs.effects import AnswerHeard
from dialogs.screens import Choice, Go, Info, Menu
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

CHOICES = (
    Choice(N_("main.weather"), target="weather"),
    Choice(N_("main.prices"), target="prices_crop"),
    Choice(N_("main.advice"), target="advice_crop"),
    Choice(N_("main.pest"), target="pest_crop"),
    Choice(N_("main.expert"), target="expert"),
    Choice(N_("main.account"), target="account"),
    Choice(N_("main.subscribe"), target="subscribe"),
)


def hear_answer(ctx: Ctx, _value) -> Go:
    """Read the expert's answer out; it is kept for "hear it again" and not offered on the next call."""
    answer = ctx.services.waiting_answer(ctx.profile.farmer_id)
    if answer is None:  # heard on another call a moment ago
        return Go("main")
    ctx.session.answers.update(answer_ticket=answer.ticket, answer_text=answer.text)
    ctx.effects.append(AnswerHeard(answer.ticket))
    return Go("expert_answer")


def choices(ctx: Ctx) -> list[Choice]:
    """The menu; on a call, when an expert has answered the farmer by SMS, one more choice: hear it read out
    (last, so the numbers a farmer knows by heart stay the same)."""
    if ctx.event.channel == "voice" and ctx.services.waiting_answer(ctx.profile.farmer_id) is not None:
        return [*CHOICES, Choice(N_("main.answer"), action=hear_answer, target="expert_answer")]
    return list(CHOICES)


def _answer(ctx: Ctx) -> list[str]:
    answers = ctx.session.answers
    return [ctx.t(N_("answer.read"), ticket=answers["answer_ticket"], answer=answers["answer_text"])]


SCREENS = [
    Menu("main", title=N_("main.title"), title_params=lambda ctx: {"name": ctx.profile.name.split()[0]},
         choices=choices, uses=tuple(c.label for c in CHOICES) + (N_("main.answer"),),
         exits_also=tuple(c.target for c in CHOICES) + ("expert_answer",)),
    Info("expert_answer", body=_answer, uses=(N_("answer.read"),), choices=(
        Choice(N_("answer.again"), target="expert_answer"),
        Choice(N_("nav.home"), target="main"),
    )),
]
