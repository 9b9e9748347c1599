"""The missed-call line through the real app: a farmer rings one of MISSED_CALL_NUMBERS on Twilio or Africa's Talking,
is rejected unanswered, and is called back (the task runs in-process here, the provider's call API answered by
`responses`); when they answer, the provider calls our voice webhook and the IVR greets them as a call-back."""
from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs
from xml.etree import ElementTree

import pytest
import responses
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from dialogs.texts import texts
from farmdb.models import CallLog
from gateway import create_app
from tests.conftest import SEED_DAY

PHONE = "+919812345678"
TWILIO_LINE = "+912071234567"  # a Twilio number set up as a missed-call line
AT_LINE = "+254711082300"  # the Africa's Talking number: missed-call line and AT_VOICE_NUMBER
SID, TOKEN = "AC" + "1" * 32, "twilio-test-token"
AT_TOKEN = "at-hook-secret"
PUBLIC = "https://calls.example.org"
TWILIO_CALLS = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Calls.json"
AT_CALL = "https://voice.sandbox.africastalking.com/call"
CALL_SID = "CA" + "a" * 32
SESSION = "ATVId_5f2f1e5b7c0d4a3e9b8a"


@pytest.fixture
def line_settings(settings):
    return replace(settings, twilio_account_sid=SID, twilio_auth_token=TOKEN, public_base_url=PUBLIC,
                   at_username="sandbox", at_api_key="atsk_test", at_voice_number=AT_LINE, at_webhook_token=AT_TOKEN,
                   missed_call_numbers=frozenset({TWILIO_LINE, AT_LINE}), callback_period=3600)


@pytest.fixture
def client(line_settings, backends):
    app = create_app(line_settings, backends=backends, today=lambda: SEED_DAY)  # its call-backs run in-process
    app.config.update(TESTING=True)
    return app.test_client()


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def twilio_placed(sid=CALL_SID, status=201):
    return dict(json={"sid": sid, "account_sid": SID, "to": PHONE, "from": TWILIO_LINE, "status": "queued",
                      "direction": "outbound-api"}, status=status)


def at_placed(session=SESSION):
    return dict(json={"entries": [{"phoneNumber": PHONE, "status": "Queued", "sessionId": session}],
                      "errorMessage": "None"}, status=201)


def twilio_voice(client, call_sid, *, phone=PHONE, line=TWILIO_LINE, direction="inbound", status="ringing",
                 sign=True, path="/twilio/voice"):
    """What Twilio posts for a call: the farmer is From on an inbound call, To on one we placed."""
    farmer_side, ours = ("From", "To") if direction == "inbound" else ("To", "From")
    form = {"CallSid": call_sid, "AccountSid": SID, farmer_side: phone, ours: line, "CallStatus": status,
            "Direction": direction, "ApiVersion": "2010-04-01", "Caller": phone if direction == "inbound" else line,
            "Called": line if direction == "inbound" else phone, "FromCountry": "IN", "ToCountry": "IN"}
    headers = {"X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(f"{PUBLIC}{path}", form)} \
        if sign else {}
    return client.post(path, data=form, headers=headers)


def at_voice(client, session, *, phone=PHONE, line=AT_LINE, direction="Inbound", active="1", **extra):
    """What Africa's Talking posts to the number's voice callback URL."""
    form = {"isActive": active, "sessionId": session, "direction": direction, "callerNumber": phone,
            "destinationNumber": line, "callSessionState": "Ringing" if direction == "Inbound" else "Answered",
            **extra}
    return client.post(f"/africastalking/voice?token={AT_TOKEN}", data=form)


def xml(response) -> ElementTree.Element:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/xml"
    return ElementTree.fromstring(response.get_data(as_text=True))


def logs(sessions, kind=None) -> list[CallLog]:
    with sessions() as db:
        query = select(CallLog).order_by(CallLog.id)
        return db.scalars(query.where(CallLog.kind == kind) if kind else query).all()


def form_of(call) -> dict[str, list[str]]:
    body = call.request.body
    return parse_qs(body if isinstance(body, str) else body.decode())


# --- Twilio ---------------------------------------------------------------------------------------------------------

def test_a_twilio_ring_is_rejected_unanswered_logged_and_called_back_once(client, sessions, api, register_farmer):
    farmer_id = register_farmer(phone=PHONE, locale="hi")
    api.post(TWILIO_CALLS, **twilio_placed())

    root = xml(twilio_voice(client, "CA" + "1" * 32))
    assert [(child.tag, child.attrib) for child in root] == [("Reject", {"reason": "busy"})]  # the farmer pays nothing

    [placed] = api.calls
    assert placed.request.url == TWILIO_CALLS
    assert {k: v for k, v in form_of(placed).items() if k in ("To", "From", "Url", "StatusCallback")} == {
        "To": [PHONE], "From": [TWILIO_LINE], "Url": [f"{PUBLIC}/twilio/voice"],
        "StatusCallback": [f"{PUBLIC}/twilio/voice/status"]}
    ring, callback = logs(sessions)
    assert (ring.kind, ring.provider, ring.call_id, ring.direction, ring.phone, ring.line, ring.farmer_id,
            ring.status) == ("missed_call", "twilio", "CA" + "1" * 32, "inbound", PHONE, TWILIO_LINE, farmer_id,
                             "rejected")
    assert ring.ended_at is not None
    assert (callback.kind, callback.call_id, callback.direction, callback.phone, callback.line, callback.farmer_id,
            callback.status) == ("callback", CALL_SID, "outbound", PHONE, TWILIO_LINE, farmer_id, "queued")


def test_an_unsigned_ring_is_refused_and_nobody_is_called(client, sessions, api):
    assert twilio_voice(client, "CA" + "1" * 32, sign=False).status_code == 403
    assert logs(sessions) == [] and len(api.calls) == 0


def test_three_rings_within_the_period_get_one_call_back_and_one_after_it_another(client, sessions, api,
                                                                                  redis_client):
    api.post(TWILIO_CALLS, **twilio_placed())
    for n in range(3):
        assert xml(twilio_voice(client, f"CA{n:032d}"))[0].tag == "Reject"
    assert len(logs(sessions, "missed_call")) == 3  # every ring is logged
    assert len(api.calls) == 1 and len(logs(sessions, "callback")) == 1

    twilio_voice(client, f"CA{2:032d}")  # Twilio repeating a ring it already told us about changes nothing
    assert len(logs(sessions, "missed_call")) == 3 and len(api.calls) == 1

    # CALLBACK_PERIOD passes: the key expires and the next ring is called back again
    redis_client.pexpire(f"callback:{PHONE}", 1)
    while redis_client.exists(f"callback:{PHONE}"):
        pass
    api.replace(responses.POST, TWILIO_CALLS, **twilio_placed(sid="CA" + "b" * 32))
    assert xml(twilio_voice(client, f"CA{3:032d}"))[0].tag == "Reject"
    assert len(api.calls) == 2
    assert [c.call_id for c in logs(sessions, "callback")] == [CALL_SID, "CA" + "b" * 32]


def test_an_answered_twilio_call_back_greets_the_farmer_as_a_call_back(client, sessions, api, register_farmer):
    farmer_id = register_farmer(phone=PHONE, locale="hi")
    api.post(TWILIO_CALLS, **twilio_placed())
    twilio_voice(client, "CA" + "1" * 32)

    # Twilio rings the farmer and, when they answer, asks our webhook what to say: Direction outbound-api
    root = xml(twilio_voice(client, CALL_SID, direction="outbound-api", status="in-progress"))
    assert root[0].tag == "Gather" and root[0].get("language") == "hi-IN"
    said = [say.text for say in root[0].iter("Say")]
    assert said[0] == texts("hi", latin=False)("voice.callback")  # in the farmer's own language
    assert all(say.get("language") == "hi-IN" for say in root[0].iter("Say"))

    [callback] = logs(sessions, "callback")  # the same row, now with where the call is
    assert (callback.call_id, callback.farmer_id, callback.last_screen is not None) == (CALL_SID, farmer_id, True)
    # and Twilio's progress closes it
    assert twilio_voice(client, CALL_SID, direction="outbound-api", status="completed",
                        path="/twilio/voice/status").status_code == 204
    [callback] = logs(sessions, "callback")
    assert callback.status == "completed" and callback.ended_at is not None


def test_a_stranger_is_called_back_too(client, sessions, api):
    api.post(TWILIO_CALLS, **twilio_placed())
    xml(twilio_voice(client, "CA" + "1" * 32))
    root = xml(twilio_voice(client, CALL_SID, direction="outbound-api", status="in-progress"))
    said = [say.text for say in root.iter("Say")]
    assert texts("hi", latin=False)("voice.callback") in said  # DEFAULT_LOCALE for someone we do not know
    [callback] = logs(sessions, "callback")
    assert callback.farmer_id is None


def test_twilio_down_the_ring_is_still_rejected_and_the_next_ring_tries_again(client, sessions, api, redis_client):
    api.post(TWILIO_CALLS, json={"code": 20500, "message": "Internal Server Error", "status": 500}, status=500)
    root = xml(twilio_voice(client, "CA" + "1" * 32))
    assert root[0].tag == "Reject"  # the farmer's ring is answered as before, whatever the provider does
    assert len(api.calls) == 1 and logs(sessions, "callback") == []
    assert redis_client.get(f"callback:{PHONE}") is None  # released: in-process there is no retry

    api.replace(responses.POST, TWILIO_CALLS, **twilio_placed())
    xml(twilio_voice(client, "CA" + "2" * 32))
    assert len(api.calls) == 2 and [c.call_id for c in logs(sessions, "callback")] == [CALL_SID]


# --- Africa's Talking -----------------------------------------------------------------------------------------------

def test_an_africas_talking_ring_is_rejected_and_called_back_from_the_voice_number(client, sessions, api,
                                                                                   register_farmer):
    farmer_id = register_farmer(phone=PHONE, locale="en")
    api.post(AT_CALL, **at_placed())

    response = at_voice(client, "ATVId_ring_1")
    assert response.get_data(as_text=True) == '<?xml version="1.0" encoding="UTF-8"?><Response><Reject /></Response>'

    [placed] = api.calls
    assert placed.request.url == AT_CALL and placed.request.headers["apiKey"] == "atsk_test"
    assert form_of(placed) == {"username": ["sandbox"], "from": [AT_LINE], "to": [PHONE]}
    ring, callback = logs(sessions)
    assert (ring.kind, ring.provider, ring.call_id, ring.phone, ring.line, ring.status) == \
        ("missed_call", "africastalking", "ATVId_ring_1", PHONE, AT_LINE, "rejected")
    assert (callback.kind, callback.provider, callback.call_id, callback.direction, callback.phone, callback.line,
            callback.farmer_id) == ("callback", "africastalking", SESSION, "outbound", PHONE, AT_LINE, farmer_id)


def test_an_answered_africas_talking_call_back_greets_the_farmer_as_a_call_back(client, sessions, api,
                                                                                register_farmer):
    register_farmer(phone=PHONE, locale="en")
    api.post(AT_CALL, **at_placed())
    at_voice(client, "ATVId_ring_1")
    at_voice(client, "ATVId_ring_2")  # rang twice: still one call-back
    assert len(api.calls) == 1

    # AT rings the farmer from AT_LINE (itself a missed-call line) and, once answered, posts the session it returned
    root = xml(at_voice(client, SESSION, direction="Outbound"))
    said = " ".join(say.text for say in root.iter("Say"))
    assert said.startswith(texts("en", latin=False)("voice.callback"))
    assert root.find("GetDigits") is not None and root.find("Reject") is None
    assert len(api.calls) == 1  # not mistaken for another ring

    assert at_voice(client, SESSION, direction="Outbound", active="0", durationInSeconds="42", amount="1.5",
                    currencyCode="KES").status_code == 200
    [callback] = logs(sessions, "callback")
    assert (callback.status, callback.duration_s, str(callback.cost), callback.cost_currency) == \
        ("completed", 42, "1.5000", "KES")


def test_africas_talking_down_the_ring_is_still_rejected_and_the_number_released(client, sessions, api,
                                                                                 redis_client):
    api.post(AT_CALL, body="Service Unavailable", status=503)
    assert at_voice(client, "ATVId_ring_1").get_data(as_text=True).endswith("<Response><Reject /></Response>")
    assert len(api.calls) == 1 and logs(sessions, "callback") == []
    assert redis_client.get(f"callback:{PHONE}") is None


# --- edge cases of the missed-call line ---------------------------------------------------------------------------

def test_an_outbound_africas_talking_call_is_never_taken_for_a_ring(client, sessions, api):
    api.post(AT_CALL, **at_placed(session="ATVId_other"))
    root = xml(at_voice(client, "ATVId_not_recorded_yet", direction="Outbound"))
    assert root.find("Reject") is None
    assert logs(sessions, "missed_call") == []


@pytest.mark.parametrize("provider", ["twilio", "africastalking"])
def test_a_withheld_number_on_the_missed_call_line_is_still_rejected(client, sessions, api, provider):
    if provider == "twilio":
        response = twilio_voice(client, "CA" + "9" * 32, phone="anonymous")
    else:
        response = at_voice(client, "ATVId_withheld", phone="")
    assert xml(response)[0].tag == "Reject"
    assert len(api.calls) == 0  # nobody to call back
