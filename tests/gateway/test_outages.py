"""A backend out of reach, endpoint by endpoint, as real payloads arrive with valid credentials. Nothing answers
500. Where a caller is on the line (a USSD hop, a call turn) they hear "busy, try again" in their language. Twilio
does not send a webhook again, so with the database away its SMS and reports are kept in Redis (service.spool) and
replayed once it is back; Plivo's are kept the same way. Every other webhook answers 503 with Retry-After, and its
provider sends it again:

| endpoint                            | database down      | Redis down      | sent again by                         |
| ----------------------------------- | ------------------ | --------------- | ------------------------------------- |
| AT USSD hop, AT/Twilio/Plivo voice  | 200, "busy"        | 200, "busy"     | the farmer (dials again)              |
| AT SMS, delivery, opt-out, events   | 503                | 503 or its work | Africa's Talking (for ten minutes)    |
| Twilio and Plivo SMS and reports    | 200, kept in Redis | 503 or its work | our replay job, every minute          |
| Twilio and Plivo call status/hangup | 503                | 503 or its work | the provider's callback retries       |
| Razorpay webhook                    | 503                | 503 or its work | Razorpay (for 24 hours)               |
| the API (bearer key)                | 503                | 503 or its work | the API's client                      |

("Its work": an endpoint that needs no Redis for a request does it and answers as usual.)
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace

import pytest
from twilio.request_validator import RequestValidator

from farmdb.db import make_engine, make_sessionmaker
from gateway import create_app
from service.connections import Backends
from service.spool import waiting
from dialogs.texts import texts
from tests.conftest import SEED_DAY, unreachable_redis
from tests.gateway.plivo import payloads as plivo

AT_TOKEN = "at-webhook-token-for-tests"
TWILIO_TOKEN = "7c1f0a9d2b3e4f5a6b7c8d9e0f1a2b3c"
PLIVO_TOKEN = plivo.TOKEN
RAZORPAY_SECRET = "whsec-for-tests"
ADMIN_KEY = "admin-key-for-tests-0123456789"
FARMER = "+919812345678"


def _twilio(path: str, form: dict) -> dict:
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(f"http://localhost{path}", form)
    return dict(data=form, headers={"X-Twilio-Signature": signature})


def _plivo(path: str, form: dict) -> dict:
    return dict(data=form, headers=plivo.signature(f"http://localhost{path}", form, token=PLIVO_TOKEN))


def _razorpay(document: dict) -> dict:
    body = json.dumps(document).encode()
    signature = hmac.new(RAZORPAY_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return dict(data=body, content_type="application/json",
                headers={"X-Razorpay-Signature": signature, "X-Razorpay-Event-Id": "evt_Outage1"})


AT = f"?token={AT_TOKEN}"
REQUESTS = {  # endpoint: (path, what the provider sends)
    "at_ussd": ("/africastalking/ussd" + AT, dict(data={
        "sessionId": "ATUid_outage1", "serviceCode": "*384*123#", "phoneNumber": FARMER, "networkCode": "40410",
        "text": ""})),
    "at_ussd_events": ("/africastalking/ussd/events" + AT, dict(data={
        "sessionId": "ATUid_outage1", "serviceCode": "*384*123#", "phoneNumber": FARMER, "networkCode": "40410",
        "status": "Success", "cost": "KES 0.0000", "durationInMillis": "25000", "hopsCount": "3", "input": "2*1",
        "lastAppResponse": "END Thank you", "errorMessage": "", "date": "2026-07-15 10:00:00"})),
    "at_sms": ("/africastalking/sms" + AT, dict(data={
        "from": FARMER, "to": "12345", "text": "kanda bhav", "date": "2026-07-15 10:00:00", "id": "ATXid_outage1",
        "linkId": "SampleLinkId123"})),
    "at_delivery": ("/africastalking/sms/delivery" + AT, dict(data={
        "id": "ATXid_unknown01", "status": "Success", "phoneNumber": FARMER, "networkCode": "40410",
        "retryCount": "0"})),
    "at_optout": ("/africastalking/sms/optout" + AT, dict(data={"senderId": "KHETIS", "phoneNumber": FARMER})),
    "at_voice": ("/africastalking/voice" + AT, dict(data={
        "isActive": "1", "sessionId": "ATVId_outage1", "direction": "Inbound", "callerNumber": FARMER,
        "destinationNumber": "+254711082000"})),
    "twilio_sms": ("/twilio/sms", _twilio("/twilio/sms", {
        "MessageSid": "SM" + "a" * 32, "AccountSid": "AC" + "b" * 32, "From": FARMER, "To": "+15005550006",
        "Body": "kanda bhav", "NumMedia": "0"})),
    "twilio_status": ("/twilio/sms/status", _twilio("/twilio/sms/status", {
        "MessageSid": "SM" + "c" * 32, "MessageStatus": "delivered", "AccountSid": "AC" + "b" * 32,
        "To": FARMER})),
    "twilio_voice": ("/twilio/voice", _twilio("/twilio/voice", {
        "CallSid": "CA" + "d" * 32, "AccountSid": "AC" + "b" * 32, "From": FARMER, "To": "+15005550006",
        "CallStatus": "ringing", "Direction": "inbound"})),
    "twilio_voice_status": ("/twilio/voice/status", _twilio("/twilio/voice/status", {
        "CallSid": "CA" + "d" * 32, "AccountSid": "AC" + "b" * 32, "CallStatus": "completed",
        "CallDuration": "42"})),
    "plivo_sms": ("/plivo/sms", _plivo("/plivo/sms", plivo.inbound_sms("kanda bhav"))),
    "plivo_status": ("/plivo/sms/status", _plivo("/plivo/sms/status", plivo.delivery_report("delivered",
                                                                                           error="000"))),
    "plivo_voice": ("/plivo/voice", _plivo("/plivo/voice", plivo.answered(CallStatus="ringing"))),
    "plivo_voice_status": ("/plivo/voice/status", _plivo("/plivo/voice/status", plivo.hung_up())),
    "razorpay": ("/payments/razorpay/webhook", _razorpay({
        "entity": "event", "event": "payment_link.paid", "contains": ["payment_link"], "created_at": 1784100000,
        "payload": {"payment_link": {"entity": {"id": "plink_Outage1", "status": "paid", "amount": 9900,
                                                "amount_paid": 9900, "currency": "INR"}}}})),
    "api_farmers": ("/api/v1/farmers", dict(method="GET", headers={"Authorization": f"Bearer {ADMIN_KEY}"})),
    "legacy_api": ("/api/broadcasts/1", dict(method="GET", headers={"Authorization": f"Bearer {ADMIN_KEY}"})),
}
# Where a farmer is on the line: answered with "busy" whichever backend is down.
ON_THE_LINE = {"at_ussd", "at_voice", "twilio_voice", "plivo_voice"}
# Twilio's and Plivo's: kept for replay while Redis is there.
SPOOLED = {"twilio_sms", "twilio_status", "plivo_sms", "plivo_status"}


def _app(settings, backends):
    settings = replace(settings, at_webhook_token=AT_TOKEN, twilio_account_sid="AC" + "b" * 32,
                       twilio_auth_token=TWILIO_TOKEN, plivo_auth_id=plivo.AUTH_ID, plivo_auth_token=PLIVO_TOKEN,
                       payment_provider="razorpay", razorpay_key_id="rzp_test_1",
                       razorpay_key_secret="key-secret", razorpay_webhook_secret=RAZORPAY_SECRET,
                       admin_api_key=ADMIN_KEY)
    app = create_app(settings, backends=backends, today=lambda: SEED_DAY)
    app.config.update(TESTING=True)
    return app.test_client()


@pytest.fixture
def database_down(settings, redis_client):
    down = make_engine("postgresql://postgres@127.0.0.1:1/nowhere")  # nothing listens there: refused at once
    return _app(settings, Backends(engine=down, sessions=make_sessionmaker(down), redis=redis_client))


@pytest.fixture
def redis_down(settings, engine, sessions, reads):
    return _app(settings, Backends(engine=engine, sessions=sessions, reads=reads, redis=unreachable_redis()))


def _send(client, name: str):
    path, request = REQUESTS[name]
    request = dict(request)
    method = request.pop("method", "POST")
    return client.open(path, method=method, **request)


def _told_busy(response, settings) -> bool:
    """The service's own language (the caller cannot be looked up): Latin letters on USSD, as spoken on a call."""
    said = response.get_data(as_text=True)
    return response.status_code == 200 and (
        said == "END " + texts(settings.default_locale, latin=True)("ussd.busy")
        or texts(settings.default_locale, latin=False)("voice.busy") in said
        or texts("en", latin=False)("voice.busy") in said)  # AT without the Hindi clips says it in English


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_with_the_database_down(database_down, settings, redis_client, name):
    response = _send(database_down, name)
    if name in ON_THE_LINE:
        assert _told_busy(response, settings), response.get_data(as_text=True)
    elif name in SPOOLED:
        assert response.status_code in (200, 204) and waiting(redis_client) == 1
    else:
        assert response.status_code == 503, response.get_data(as_text=True)
        assert int(response.headers["Retry-After"]) > 0  # the API's rate limiter states its own window
        assert response.json["error"] == "service_unavailable"


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_with_redis_down(redis_down, settings, name):
    response = _send(redis_down, name)
    if name in ON_THE_LINE:
        assert _told_busy(response, settings), response.get_data(as_text=True)
    elif response.status_code >= 500:
        assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0, response.get_data()
