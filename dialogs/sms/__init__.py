"""Answering a farmer's SMS: pure, like the dialog engine. `reply(message, profile, chat, services)` returns the new
conversation state, the reply text (None: send nothing) and the effects for the core to carry out.

What is SMS's own lives here: keywords (keywords.py), free text read by the NLU and routed by its intent (below), and
replies in several steps kept in `Chat` (registration.py, and one-step choices in questions.py and requests.py).
What a reply files or changes (a registration, a ticket, a subscription, a withdrawal) is made by the same flow
functions USSD and voice use (dialogs/flows).
"""
from __future__ import annotations

from dialogs.effects import Effect
from dialogs.model import Profile
from dialogs.services import FarmServices
from dialogs.sms import alerts, keywords, questions, registration, requests
from dialogs.sms.turn import Chat, Message, NotAnAnswer, Turn, fit
from dialogs.texts import N_

__all__ = ["Chat", "Message", "fit", "reply"]

NEEDS_REGISTRATION = {"pest_disease", "expert_callback", "subscribe", "payment_status", "price_alert"}

STEPS = {**keywords.STEPS, **registration.STEPS, **questions.STEPS, **requests.STEPS}
INTENTS = {"weather": questions.weather, "market_price": questions.price, "crop_advisory": questions.advice,
           "pest_disease": requests.pest, "register": registration.register, "subscribe": requests.subscribe,
           "opt_out": keywords.optout_hint, "help": keywords.help_, "expert_callback": requests.callback,
           "change_language": questions.language, "payment_status": questions.payment, "price_alert": alerts.alert}


def reply(message: Message, profile: Profile | None, chat: Chat, services: FarmServices
          ) -> tuple[Chat, str | None, list[Effect]]:
    turn = Turn(message, profile, chat, services)
    text = _answer(turn)
    return turn.chat, text, turn.effects


def _answer(turn: Turn) -> str | None:
    parse, profile = turn.message.parse, turn.profile
    if parse.keyword and parse.intent == "opt_out":
        return keywords.stop(turn)
    if turn.word in keywords.START_WORDS or (parse.keyword and parse.intent == "register"):
        return keywords.start(turn)
    # Withdrawing consent is as easy as giving it (DPDP Act), also for a farmer who has stopped SMS.
    if turn.word in keywords.DELETE_WORDS:
        return keywords.delete(turn)
    if turn.chat.step == "confirm_delete":
        return _step(turn)
    if profile and profile.sms_opted_out:
        return None  # they asked us to stop: only STOP, START and DELETE are answered
    if turn.chat.step:
        if parse.keyword and parse.intent == "help":
            turn.forget_step()
        else:
            return _step(turn)
    if parse.alert and not parse.keyword and profile:  # "onion 2000 lasalgaon": an alert, if the place is known
        text = alerts.set_alert(turn, parse.alert, strict=False)
        if text is not None:
            return text
    if not parse.confident:
        return turn.say(N_("sms.not_understood"))
    if parse.intent in NEEDS_REGISTRATION and not profile:
        return turn.say(N_("sms.reg.needed"))
    return INTENTS[parse.intent](turn)


def _step(turn: Turn) -> str | None:
    """The message answers the step the conversation is at; if it does not, it is read as a new question."""
    try:
        return STEPS[turn.chat.step](turn)
    except NotAnAnswer:
        turn.forget_step()
        return _answer(turn)
