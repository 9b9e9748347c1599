""""Call the farmer" from a ticket: the provider rings the agronomist, then the farmer, with the exact request each
SDK makes; the farmer's number never shown to the agronomist; audited."""
from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from sqlalchemy import select

from farmdb.models import AuditEvent, CallLog
from simulator.carriers.plivo import signature_headers

SID, TOKEN, LINE = "AC" + "1" * 32, "twilio-test-token", "+912071234567"
AT_LINE = "+254711082300"
AGRONOMIST = "+919900011122"
TWILIO_URL = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Calls.json"
AT_URL = "https://voice.sandbox.africastalking.com/call"
PLIVO_ID, PLIVO_LINE, PUBLIC = "MA" + "B" * 18, "+918045678900", "https://calls.example.org"
PLIVO_URL = f"https://api.plivo.com/v1/Account/{PLIVO_ID}/Call/"
PROVIDERS = {
    "twilio": dict(sms_provider="twilio", twilio_account_sid=SID, twilio_auth_token=TOKEN, twilio_from=LINE),
    "africastalking": dict(sms_provider="africastalking", at_username="sandbox", at_api_key="atsk_test",
                           at_voice_number=AT_LINE),
    "plivo": dict(sms_provider="plivo", plivo_auth_id=PLIVO_ID, plivo_auth_token="plivo-token", plivo_from="KHETIS",
                  plivo_voice_number=PLIVO_LINE, public_base_url=PUBLIC),
}


@pytest.fixture(params=sorted(PROVIDERS))
def provider(request):
    return request.param


@pytest.fixture
def settings(settings, provider):
    return replace(settings, **PROVIDERS[provider])


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def test_the_agronomists_phone_rings_then_the_farmers(provider, api, ticket, signed_in, client, db):
    number = ticket(locale="hi")  # the farmer: +919812345678
    api.post(TWILIO_URL, status=201, json={"sid": "CA" + "b" * 32, "account_sid": SID, "to": AGRONOMIST,
                                           "from": LINE, "status": "queued", "api_version": "2010-04-01",
                                           "uri": f"/2010-04-01/Accounts/{SID}/Calls/CA{'b' * 32}.json"})
    api.post(AT_URL, json={"entries": [{"phoneNumber": AGRONOMIST, "status": "Queued", "sessionId": "ATVId_77"}],
                           "errorMessage": "None"})
    api.post(PLIVO_URL, status=201, json={"api_id": "a1", "message": "call fired", "request_uuid": "r-77"})
    desk = signed_in("agronomist", "meera", phone=AGRONOMIST)
    page = desk.text(f"/console/tickets/{number}")
    assert "9812345678" not in page  # the agronomist is not shown the number
    response = desk.post(f"/console/tickets/{number}/call")
    assert "Your phone will ring now" in desk.text(response.headers["Location"])

    [sent] = api.calls
    body = sent.request.body if isinstance(sent.request.body, str) else sent.request.body.decode()
    form = json.loads(body) if provider == "plivo" else parse_qs(body)
    if provider == "plivo":
        assert (form["from"], form["to"]) == ("918045678900", "919900011122") and "9812345678" not in body
        answer_url = form["answer_url"]
        call_id = parse_qs(urlsplit(answer_url).query)["call"][0]
        # The agronomist answers: Plivo asks the answer URL (signed over it) what to do, and we dial the farmer.
        fields = {"CallUUID": "c0ffee00-0000-4000-8000-000000000077", "From": "918045678900",
                  "To": "919900011122", "Direction": "outbound", "CallStatus": "in-progress"}
        answered = client.post(urlsplit(answer_url).path + "?" + urlsplit(answer_url).query, data=fields,
                               headers=signature_headers(answer_url, fields, "plivo-token"))
        assert answered.status_code == 200, answered.get_data(as_text=True)
        assert "<Number>919812345678</Number>" in answered.get_data(as_text=True)
    elif provider == "twilio":
        assert (form["To"], form["From"]) == ([AGRONOMIST], [LINE])
        assert form["Twiml"] == ['<?xml version="1.0" encoding="UTF-8"?><Response><Dial callerId="+912071234567" '
                                 'timeout="30"><Number>+919812345678</Number></Dial></Response>']
        call_id = "CA" + "b" * 32
    else:
        assert (form["from"], form["to"], form["username"]) == ([AT_LINE], [AGRONOMIST], ["sandbox"])
        call_id = "ATVId_77"
        # The agronomist answers: AT asks our voice callback what to do, and we dial the farmer.
        answered = client.post("/africastalking/voice", data={
            "sessionId": call_id, "isActive": "1", "direction": "Outbound", "callerNumber": AGRONOMIST,
            "destinationNumber": AT_LINE})
        assert answered.status_code == 200
        assert '<Dial phoneNumbers="+919812345678" record="false" />' in answered.get_data(as_text=True)
    db.rollback()
    call = db.scalar(select(CallLog))
    assert (call.provider, call.call_id, call.kind, call.phone) == (provider, call_id, "bridge", "+919812345678")
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "farmer_called"))
    assert event.actor == "meera" and event.target_id == number and event.detail["call_id"] == call_id


def test_without_the_agronomists_phone_nothing_is_dialled(provider, api, ticket, signed_in, db):
    number = ticket()
    desk = signed_in("agronomist")
    response = desk.post(f"/console/tickets/{number}/call")
    assert "your phone number is not known" in desk.text(response.headers["Location"])
    assert len(api.calls) == 0 and db.scalar(select(CallLog)) is None


@pytest.mark.parametrize("provider", ["africastalking"])  # Twilio's bridge has the farmer's number in its TwiML
def test_a_farmer_erased_while_the_agronomists_phone_rang_is_not_dialled(provider, client, db):
    """AT asks what to do once the agronomist answers: with the farmer's number erased meanwhile, nothing is dialled."""
    db.add(CallLog(provider="africastalking", call_id="ATVId_78", kind="bridge", direction="outbound",
                   phone="erased", line=AT_LINE, status="queued"))
    db.commit()
    answered = client.post("/africastalking/voice", data={
        "sessionId": "ATVId_78", "isActive": "1", "direction": "Outbound", "callerNumber": AGRONOMIST,
        "destinationNumber": AT_LINE})
    body = answered.get_data(as_text=True)
    assert answered.status_code == 200 and "<Reject />" in body and "Dial" not in body
