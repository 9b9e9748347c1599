"""The Rasa action server: the real request JSON a Rasa server posts to /webhook, through rasa-sdk's executor."""
import asyncio

import pytest
from sqlalchemy import select

from farmdb.models import ExpertRequest
from nlu.rasa_actions import ACTIONS, executor
from service.sms_inbox import rasa_answer


def action_call(action, text, intent, entities=(), sender="+919812345678", slots=None):
    """The body Rasa posts to the action server's /webhook (rasa 3.x)."""
    return {
        "next_action": action,
        "sender_id": sender,
        "tracker": {
            "sender_id": sender, "slots": slots or {}, "latest_action_name": "action_listen",
            "latest_message": {
                "text": text, "message_id": f"msg-{action}-{abs(hash(text))}",
                "intent": {"name": intent, "confidence": 0.97},
                "entities": [{"entity": e, "value": v, "start": 0, "end": 1, "extractor": "DIETClassifier"}
                             for e, v in entities],
                "intent_ranking": [{"name": intent, "confidence": 0.97}],
            },
            "events": [], "paused": False, "followup_action": None, "active_loop": {},
            "latest_event_time": 1784000000.0, "latest_input_channel": "rest",
        },
        "domain": {"version": "3.1", "intents": [], "entities": ["crop", "location", "language"], "slots": {},
                   "responses": {}, "actions": list(ACTIONS)},
        "version": "3.8.0",
    }


@pytest.fixture
def actions(app):
    return executor(lambda: rasa_answer(app.extensions["kheti_conversations"]))


def responses(actions, call) -> list[dict]:
    """What /webhook would answer: the texts the action uttered."""
    return asyncio.run(actions.run(call)).responses


def test_every_business_action_is_registered(actions):
    assert set(ACTIONS) <= set(actions.actions)


def test_market_price_action_answers_from_the_database(actions, register_farmer):
    register_farmer(locale="en")
    [response] = responses(actions, action_call("action_market_price", "onion price", "ask_price",
                                                [("crop", "onion")]))
    assert response["text"].startswith("Onion per quintal") and "Rs " in response["text"]


def test_report_pest_action_stores_a_ticket(actions, register_farmer, db):
    register_farmer(locale="hi")
    [response] = responses(actions, action_call("action_report_pest", "kapas me sundi", "pest",
                                                [("crop", "cotton")]))
    [request] = db.scalars(select(ExpertRequest)).all()
    assert request.crop.code == "cotton" and request.ticket in response["text"]


def test_an_action_for_a_sender_without_a_phone_number_does_nothing(actions):
    assert responses(actions, action_call("action_help", "hi", "greet", sender="web-session-42")) == []


def test_the_action_server_app_serves_webhook_and_health(actions):
    from rasa_sdk.endpoint import create_app
    app = create_app(actions)
    paths = {route.path.strip("/") for route in app.router.routes}
    assert {"webhook", "health", "actions"} <= paths
