"""A Rasa action server (rasa-sdk) exposing the same business actions as the SMS channel, for teams that run a
Rasa assistant: `kheti actions` serves the standard /webhook and /health.

Rasa decides the intent and entities; each action runs our answer for that intent (weather, prices, advice, pest
reports, registration, ...) against the farmer database, exactly as an SMS would, and utters the reply. What
"answering as an SMS would" means is given by whoever builds the executor (`kheti actions` hands it the core's SMS
inbox), so this module knows nothing above the NLU.
"""
from __future__ import annotations

import logging
import uuid
from typing import Any, Callable, Protocol

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from nlu.parser import Parse, detect_language

log = logging.getLogger(__name__)

# action name -> the intent whose answer it gives
ACTIONS = {
    "action_weather": "weather", "action_market_price": "market_price", "action_crop_advice": "crop_advisory",
    "action_report_pest": "pest_disease", "action_register_farmer": "register", "action_subscribe": "subscribe",
    "action_opt_out": "opt_out", "action_help": "help", "action_expert_callback": "expert_callback",
    "action_change_language": "change_language", "action_payment_status": "payment_status",
}
ENTITY_NAMES = ("crop", "location", "language")


class Answer(Protocol):
    def __call__(self, sender: str, text: str, parse: Parse, message_id: str) -> str | None:
        """The reply to `text` from `sender` (Rasa's sender_id, the farmer's number), already read as `parse`;
        None when there is nothing to say (or no farmer to say it to)."""


def _entities(tracker: Tracker) -> dict[str, Any]:
    found = {name: None for name in ENTITY_NAMES}
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") in found and found[entity["entity"]] is None:
            found[entity["entity"]] = entity.get("value")
    for name in ENTITY_NAMES:  # slots fill what this message did not say ("and tomorrow?")
        if found[name] is None:
            found[name] = tracker.get_slot(name) if name in (tracker.slots or {}) else None
    return found


def make_action(action_name: str, intent: str, answer: Callable[[], Answer]):
    class FarmAction(Action):
        def name(self) -> str:
            return action_name

        def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
            text = tracker.latest_message.get("text") or ""
            parse = Parse(text, intent, float(tracker.latest_message.get("intent", {}).get("confidence", 1.0)),
                          _entities(tracker), detect_language(text))
            message_id = tracker.latest_message.get("message_id") or uuid.uuid4().hex
            reply = answer()(tracker.sender_id, text, parse, message_id)
            if reply:
                dispatcher.utter_message(text=reply)
            return []

    FarmAction.__name__ = FarmAction.__qualname__ = "".join(p.title() for p in action_name.split("_"))
    return FarmAction


def executor(answer: Callable[[], Answer]) -> ActionExecutor:
    """`answer()` gives the answering function, built on first use (the action server starts before any backend
    is needed)."""
    actions = ActionExecutor()
    for action_name, intent in ACTIONS.items():
        actions.register_action(make_action(action_name, intent, answer))
    return actions
