"""One dialog, two channels: the same walks, as a farmer would make them on USSD and on a call, must reach the same
screens with the same answers and leave the same rows. The table is written in USSD's terms (option numbers, 98
more, 0 back, 00 home, 99 done, typed words); on the call each becomes what the caller would do there: the group
holding the option ("9" until it is read out), its key in that group, star for home, 8 for done, words said."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from farmdb.models import ExpertRequest, Farmer, OutboundMessage, Payment
from service.calls import Heard, take_turn
from tests.conftest import SEED_DAY

KNOWN = "+919812377001"
STRANGER = "+919812377002"

# (name, who, USSD inputs, what the walk must leave: screen, answers, rows)
WALKS = [
    ("weather", KNOWN, ["1"], "weather", {}),
    ("prices of the second crop", KNOWN, ["2", "2"], "prices", {"crop": "onion"}),
    ("prices from the second page of crops", KNOWN, ["2", "98", "7"], "prices", {}),
    ("back and home", KNOWN, ["2", "1", "0", "00", "1"], "weather", {}),
    ("advice sent by SMS", KNOWN, ["3", "1", "1"], "advice_sent", {}),
    ("a pest from the list", KNOWN, ["4", "2", "2"], "pest_done", {"symptom": "holes"}),
    ("account: language", KNOWN, ["98", "6", "1", "3"], "account_saved", {}),
    ("subscribe", KNOWN, ["98", "7", "1", "1"], "subscribe_done", {}),
    ("registration, typed names", STRANGER, ["1", "Sunita Shinde", "maharashtra", "nashik", "6", "5", "99", "1"],
     "main", {}),
]


def _rows(sessions) -> dict:
    with sessions() as db:
        farmer = db.scalar(select(Farmer).where(Farmer.phone == STRANGER))
        return {
            "sms": sorted(m.purpose for m in db.scalars(select(OutboundMessage))),
            "requests": sorted((r.kind, r.crop.code if r.crop else None) for r in db.scalars(select(ExpertRequest))),
            "payments": db.scalar(select(func.count()).select_from(Payment)),
            "stranger": (farmer.name, farmer.locale, farmer.district.name, sorted(c.crop.code for c in farmer.crops),
                         farmer.consent_channel is not None) if farmer else None,
            "known_locale": db.scalar(select(Farmer.locale).where(Farmer.phone == KNOWN)),
        }


def _by_ussd(app, ussd, who, inputs):
    phone = ussd(who)
    phone.dial()
    for answer in inputs:
        phone.press(answer)
    return app.extensions["kheti_conversations"].ussd_sessions.load(who).session


def _by_call(app, who, inputs):
    conversations = app.extensions["kheti_conversations"]
    call_id = f"CA-agree-{who}"
    turn = take_turn(conversations, call_id, who, Heard("start"))
    for answer in inputs:
        turn = _say_or_press(conversations, call_id, who, turn, answer)
    return conversations.voice_calls.load(call_id).session


def _say_or_press(conversations, call_id, who, turn, answer):
    navigation = {"98": "9", "0": "0", "00": "*", "99": "8"}
    if answer in navigation:
        return take_turn(conversations, call_id, who, Heard("keys", navigation[answer]))
    if not answer.isdigit():
        return take_turn(conversations, call_id, who, Heard("speech", answer, 0.9))
    for _ in range(20):  # the option is read out in another group: "9" (more) or "0" (the group before) until it is
        local = next((key for key, target in turn.prompt.keys.items() if target == answer), None)
        if local is not None:
            return take_turn(conversations, call_id, who, Heard("keys", local))
        shown = [int(target) for key, target in turn.prompt.keys.items() if key in "12345"]
        way = "0" if shown and int(answer) < min(shown) else "9"
        assert way in turn.prompt.keys, f"option {answer} is never offered: {turn.prompt.phrases}"
        turn = take_turn(conversations, call_id, who, Heard("keys", way))
    raise AssertionError(f"option {answer} not found")


@pytest.mark.parametrize("name, who, inputs, screen, answers", WALKS, ids=[w[0] for w in WALKS])
@pytest.mark.parametrize("locale", ["en", "hi", "mr"])
def test_a_walk_ends_the_same_on_ussd_and_on_a_call(app, ussd, register_farmer, sessions, locale, name, who, inputs,
                                                    screen, answers):
    def fresh():
        with sessions() as db, db.begin():
            for table in ("outbound_messages", "expert_requests", "payments", "consent_events", "farmer_crops",
                          "farmers"):
                db.execute(text(f"DELETE FROM {table}"))
        register_farmer(phone=KNOWN, locale=locale, crops=("soybean", "onion"),
                        sown={"soybean": SEED_DAY - timedelta(days=40)})

    results = {}
    for channel in ("ussd", "voice"):
        fresh()
        ussd_inputs = inputs if who == KNOWN else [{"en": "1", "hi": "2", "mr": "3"}[locale]] + inputs[1:]
        session = _by_ussd(app, ussd, who, ussd_inputs) if channel == "ussd" else _by_call(app, who, ussd_inputs)
        rows = _rows(sessions)
        results[channel] = (session.screen, {k: session.answers.get(k) for k in answers}, rows)
    assert results["ussd"] == results["voice"]
    assert results["ussd"][0] == screen and results["ussd"][1] == answers
