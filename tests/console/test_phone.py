"""The console's feature phone, through the signed-in console: each mode posts what the provider would post to the
real endpoint (the gateway's checks and dialogs run), shows the answer, and never hands a message for its reserved
number to a provider."""
from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from sqlalchemy import select

from dialogs.encoding import measure
from dialogs.texts import texts
from farmdb.models import AuditEvent, CallLog, Farmer, OutboundMessage
from service.simulated_phones import NOT_SENT

TWILIO_TOKEN = "a twilio auth token for tests"
AT_TOKEN = "an africas talking webhook token"


@pytest.fixture
def settings(settings):
    """Both providers configured as in production: AT's token in the URL, Twilio's signature checked."""
    return replace(settings, twilio_auth_token=TWILIO_TOKEN, at_webhook_token=AT_TOKEN,
                   ussd_ucs2_networks=frozenset({"40445"}))


@pytest.fixture
def agronomist(signed_in):
    browser = signed_in("agronomist")
    browser.text("/console/phone")  # the page gives the CSRF token the phone's requests carry
    return browser


def answer(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return json.loads(response.get_data(as_text=True))


def test_the_page_shows_the_phone_and_its_reserved_number(agronomist):
    page = agronomist.text("/console/phone")
    assert "+9199999000" in page and 'id="phone-screen"' in page and "phone.js" in page
    assert TWILIO_TOKEN not in page and AT_TOKEN not in page



def my_number(page: str) -> str:
    return re.search(r"\+9199999000\d\d", page)[0]


def dial(browser, **fields):
    return answer(browser.post("/console/phone/ussd", {"action": "dial", "service_code": "*384*123#", **fields}))


def press(browser, words: str):
    return answer(browser.post("/console/phone/ussd", {"action": "send", "words": words}))


REGISTRATION = ("1", "Sunita Shinde", "maharashtra", "nasik", "6", "99", "1")  # English, ..., onion, consent


def register(browser) -> dict:
    dial(browser)
    for words in REGISTRATION:
        screen = press(browser, words)
    return screen


def test_a_ussd_registration_walk_then_a_price_goes_through_the_real_endpoint(agronomist, db):
    number = my_number(agronomist.text("/console/phone"))
    first = dial(agronomist)
    T = texts("en", latin=True)
    # Exactly what Africa's Talking posts; its token stays on the server (the console added it to the URL).
    assert first["posted"] == {"sessionId": first["posted"]["sessionId"], "serviceCode": "*384*123#",
                               "phoneNumber": number, "networkCode": "40410", "text": ""}
    assert first["posted"]["sessionId"].startswith("ATUid_")
    assert (first["kind"], first["ended"]) == ("CON", False) and "1 English" in first["screen"]
    screens = [press(agronomist, words) for words in REGISTRATION]
    assert screens[-1]["posted"]["text"] == "*".join(REGISTRATION)  # AT's history, every input joined by '*'
    assert screens[-1]["screen"].startswith(T("main.title", name="Sunita"))
    crops = press(agronomist, "2")  # Mandi prices
    prices = press(agronomist, "1")  # Onion
    assert T("prices.title", crop="Onion") in prices["screen"] and "Rs " in prices["screen"]
    # The screen's size beside it, counted as the gateway counts it, against the GSM-7 limit of this network.
    assert (prices["encoding"], prices["limit"], prices["devanagari"]) == ("GSM-7", 182, False)
    assert prices["length"] == len(prices["screen"]) and not prices["over"]
    assert crops["length"] <= 182
    farmer = db.scalar(select(Farmer).where(Farmer.phone == number))
    assert farmer.name == "Sunita Shinde" and farmer.registered_via == "ussd"
    audit = db.scalar(select(AuditEvent).where(AuditEvent.action == "phone_ussd_dialled"))
    assert audit.detail["service_code"] == "*384*123#" and audit.target_id != number  # masked in the log


def test_on_a_network_that_shows_devanagari_the_screen_is_measured_in_ucs2(agronomist):
    page = agronomist.text("/console/phone")
    assert "40445 · shows Devanagari" in page and "40410 · Latin letters only" in page
    first = dial(agronomist, network="40445")
    hindi = press(agronomist, "2")  # Hindi, in Devanagari on this network
    assert first["devanagari"] and (hindi["network"], hindi["devanagari"]) == ("40445", True)
    assert (hindi["encoding"], hindi["limit"]) == ("UCS-2", 80)
    assert texts("hi", latin=False)("reg.name.prompt") in hindi["screen"]
    assert hindi["length"] == len(hindi["screen"]) <= 80


def test_a_network_or_service_code_not_offered_is_refused(agronomist):
    assert agronomist.post("/console/phone/ussd", {"action": "dial", "network": "99999"}).status_code == 400
    assert agronomist.post("/console/phone/ussd", {"action": "dial", "service_code": "*1<b>#"}).status_code == 400
    assert agronomist.post("/console/phone/ussd", {"action": "send", "words": "1"}).status_code == 400  # no session


@pytest.fixture
def handed_over(monkeypatch):
    """Every message the console sender (the embedded default's provider) is given."""
    from service.providers.console import Console
    given = []
    original = Console.send
    monkeypatch.setattr(Console, "send", lambda self, message: given.append(message) or original(self, message))
    return given


@pytest.mark.parametrize("provider", ["africastalking", "twilio"])
def test_an_sms_kanda_bhav_is_answered_into_the_phones_inbox_and_never_sent(provider, agronomist, db, handed_over):
    number = my_number(agronomist.text("/console/phone"))
    register(agronomist)
    sent = answer(agronomist.post("/console/phone/sms", {"provider": provider, "words": "kanda bhav"}))
    assert sent["status"] == 200 and sent["error"] is None
    if provider == "twilio":
        assert sent["posted"]["From"] == number and sent["posted"]["Body"] == "kanda bhav"
        assert sent["posted"]["MessageSid"].startswith("SM")
        reply = sent["inline_reply"]  # Twilio's answer is in the webhook's response: Twilio, not us, sends it
    else:
        assert set(sent["posted"]) == {"id", "from", "to", "text", "date", "linkId", "networkCode"}
        assert (sent["posted"]["from"], sent["posted"]["text"]) == (number, "kanda bhav")
        row = db.scalar(select(OutboundMessage).where(OutboundMessage.phone == number,
                                                      OutboundMessage.purpose == "reply"))
        assert (row.status, row.last_error, row.provider_message_id) == ("cancelled", NOT_SENT, None)
        reply = row.body
    assert "Onion" in reply and "Rs " in reply
    inbox = answer(agronomist.get("/console/phone/inbox"))["inbox"]
    assert [e["text"] for e in inbox[-2:]] == ["kanda bhav", reply]  # newest last
    assert (inbox[-2]["way"], inbox[-1]["way"], inbox[-1]["encoding"]) == ("out", "in", "GSM-7")
    assert inbox[-1]["segments"] == measure(reply).segments
    assert handed_over == []


def test_a_forged_twilio_signature_meets_the_gateways_real_check(agronomist, monkeypatch):
    from console import phone_wire
    monkeypatch.setattr(phone_wire, "twilio_signature", lambda *a: "forged")
    sent = answer(agronomist.post("/console/phone/sms", {"provider": "twilio", "words": "kanda bhav"}))
    assert sent["status"] == 403 and sent["inline_reply"] is None and "X-Twilio-Signature" in sent["error"]


def test_a_call_on_twilio_says_the_welcome_takes_a_key_and_hangs_up(agronomist, db):
    number = my_number(agronomist.text("/console/phone"))
    first = answer(agronomist.post("/console/phone/voice", {"action": "call", "provider": "twilio"}))
    said = texts("hi", latin=False)
    assert first["status"] == 200 and first["listening"] == "keys" and not first["ended"]
    assert first["said"][0] == said("voice.welcome")
    assert (first["posted"]["From"], first["posted"]["Direction"], first["posted"]["CallStatus"]) == \
        (number, "inbound", "ringing")
    english = answer(agronomist.post("/console/phone/voice", {"action": "keys", "digits": "1"}))
    assert english["posted"]["Digits"] == "1" and english["said"] and english["said"] != first["said"]
    bye = answer(agronomist.post("/console/phone/voice", {"action": "hangup"}))
    assert bye["ended"] and bye["status"] in (200, 204)
    call = db.scalar(select(CallLog).where(CallLog.phone == number))
    assert (call.provider, call.status) == ("twilio", "completed")
    assert agronomist.post("/console/phone/voice", {"action": "keys", "digits": "1"}).status_code == 400


def test_a_call_on_africastalking_offers_a_player_for_the_clips_the_app_serves(agronomist, app, tmp_path):
    from service.voice_audio import clip_id
    built = clip_id("the welcome")
    (tmp_path / "hi").mkdir()
    (tmp_path / "hi" / f"{built}.wav").write_bytes(b"RIFF....WAVE")

    class Library:  # one clip built for the welcome, the next one not
        directory = tmp_path
        calls = 0

        def prompt_url(self, phrases, locale, request_root=""):
            Library.calls += 1
            return f"https://sms.example.org/voice/audio/hi/{built if Library.calls == 1 else 'f' * len(built)}.wav"
    app.extensions["kheti_voice_audio"] = Library()
    first = answer(agronomist.post("/console/phone/voice", {"action": "call", "provider": "africastalking"}))
    assert first["status"] == 200 and first["listening"] == "keys"
    assert first["posted"]["isActive"] == "1" and first["posted"]["sessionId"].startswith("ATVId_")
    assert first["clips"] == [{"path": f"/voice/audio/hi/{built}.wav", "exists": True}]  # a path on this app
    silence = answer(agronomist.post("/console/phone/voice", {"action": "silence"}))
    assert silence["clips"] == [{"path": f"/voice/audio/hi/{'f' * len(built)}.wav", "exists": False}]


def test_a_viewer_gets_403_on_the_phone(signed_in):
    viewer = signed_in("viewer")
    assert viewer.get("/console/phone").status_code == 403
    viewer.text("/console/desk")
    assert viewer.post("/console/phone/ussd", {"action": "dial"}).status_code == 403
    assert viewer.post("/console/phone/sms", {"words": "kanda bhav"}).status_code == 403
    assert viewer.get("/console/phone/inbox").status_code == 403


def test_without_the_csrf_token_nothing_is_posted(agronomist, db):
    refused = agronomist.post("/console/phone/ussd", {"action": "dial"}, csrf=False)
    assert refused.status_code == 400
    refused = agronomist.post("/console/phone/sms", {"words": "kanda bhav"}, csrf=False)
    assert refused.status_code == 400
    assert db.scalar(select(AuditEvent).where(AuditEvent.action.like("phone_%"))) is None


def test_secrets_never_reach_the_browser(agronomist):
    dial(agronomist)
    sms = agronomist.post("/console/phone/sms", {"provider": "twilio", "words": "mausam"})
    call = agronomist.post("/console/phone/voice", {"action": "call", "provider": "africastalking"})
    for response in (sms, call):
        body = response.get_data(as_text=True) + str(response.headers)
        assert TWILIO_TOKEN not in body and AT_TOKEN not in body
        assert "token=" not in body
