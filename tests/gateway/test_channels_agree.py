"""One dialog, its channels: the same walks, as a farmer would make them on USSD, on a call (its turns taken
directly) and on a call carried by Plivo (through the real HTTP endpoint, signed, its XML followed by the simulator),
must reach the same screens with the same answers and leave the same rows. The table is written in USSD's terms
(option numbers, 98 more, 0 back, 00 home, 99 done, typed words); on a call each becomes what the caller would do
there: the group holding the option ("9" until it is read out), its key in that group, star for home, 8 for done,
words said."""
import json
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, text

from farmdb.models import ExpertRequest, Farmer, OutboundMessage, Payment
from service.calls import Heard, take_turn
from simulator.voice import PLIVO, VoicePhone
from tests.conftest import SEED_DAY

KNOWN = "+919812377001"
STRANGER = "+919812377002"
PUBLIC = "https://voice.example.org"
PLIVO_AUTH = "plivo-agree-token"

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


@pytest.fixture
def settings(settings):
    """Plivo's calls reach the app: its credentials, and the public URL it signs."""
    return replace(settings, plivo_auth_id="MA" + "AGREE" * 3 + "XYZ", plivo_auth_token=PLIVO_AUTH,
                   public_base_url=PUBLIC)


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
    """The call's turns taken directly (service.calls), as any provider's webhook takes them."""
    conversations = app.extensions["kheti_conversations"]
    call_id = f"CA-agree-{who}"

    def act(heard):
        take_turn(conversations, call_id, who, heard)
    act(Heard("start"))
    _walk_as_caller(conversations, call_id, inputs, press=lambda keys: act(Heard("keys", keys)),
                    say=lambda words: act(Heard("speech", words, 0.9)))
    return conversations.voice_calls.load(call_id).session


def _by_plivo(app, who, inputs):
    """A Plivo caller through the real HTTP endpoint: signed requests, Plivo's fields, its XML followed."""
    conversations = app.extensions["kheti_conversations"]
    client = app.test_client()

    def post(url, form, headers):
        parts = urlsplit(url)
        response = client.post(parts.path + (f"?{parts.query}" if parts.query else ""), data=form, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    caller = VoicePhone(post=post, provider=PLIVO, phone=who, base_url=PUBLIC, auth_token=PLIVO_AUTH)
    caller.dial()
    _walk_as_caller(conversations, caller.call_id, inputs, press=caller.press, say=caller.say)
    assert caller.answered
    return conversations.voice_calls.load(caller.call_id).session


def _walk_as_caller(conversations, call_id, inputs, *, press, say):
    """Each USSD answer as the caller gives it: navigation by its key, words said, an option by its key in the group
    that reads it out ("9" more, or "0" the group before, until one does), read from what the call's last prompt
    offered (its key -> the dialogs' input, as service.calls keeps it)."""
    def offered() -> dict:
        return json.loads(conversations.voice_calls.load(call_id).reply)["keys"]

    navigation = {"98": "9", "0": "0", "00": "*", "99": "8"}
    for answer in inputs:
        if answer in navigation:
            press(navigation[answer])
        elif not answer.isdigit():
            say(answer)
        else:
            _press_option(answer, offered, press)


def _press_option(answer, offered, press):
    for _ in range(20):
        keys = offered()
        local = next((key for key, target in keys.items() if target == answer), None)
        if local is not None:
            return press(local)
        shown = [int(target) for key, target in keys.items() if key in "12345"]
        way = "0" if shown and int(answer) < min(shown) else "9"
        assert way in keys, f"option {answer} is never offered: {keys}"
        press(way)
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
    ussd_inputs = inputs if who == KNOWN else [{"en": "1", "hi": "2", "mr": "3"}[locale]] + inputs[1:]
    for channel, walk in (("ussd", lambda: _by_ussd(app, ussd, who, ussd_inputs)),
                          ("voice", lambda: _by_call(app, who, ussd_inputs)),
                          ("plivo", lambda: _by_plivo(app, who, ussd_inputs))):
        fresh()
        session = walk()
        rows = _rows(sessions)
        results[channel] = (session.screen, {k: session.answers.get(k) for k in answers}, rows)
    assert results["voice"] == results["ussd"]
    assert results["plivo"] == results["ussd"]
    assert results["ussd"][0] == screen and results["ussd"][1] == answers
