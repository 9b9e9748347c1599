"""Every webhook, with valid credentials, against every kind of bad input a provider never sends: NUL, control and
format characters, values longer than their column, text that is not UTF-8, numbers too big, negative or not numbers
at all, missing fields, a JSON body (nested deeply) instead of a form, odd headers. A provider's own value that is bad
gets a clear 400 naming the field and leaves nothing behind; where the bad part is the farmer's own words or number,
the farmer gets the answer they would get anyway. Never a 5xx. The endpoints come from the app's url_map: a new route
without a row here fails the first test."""
from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from sqlalchemy import Integer, Numeric, String, delete, select
from twilio.request_validator import RequestValidator

from dialogs.texts import texts
from farmdb.models import CallLog, ExpertRequest, InboundMessage, OutboundMessage, Payment, PaymentEvent, UssdSession
from gateway import create_app
from gateway.forms import MAX_TEXT
from tests.conftest import SEED_DAY
from tests.gateway.plivo import payloads as plivo
from tests.gateway.razorpay_payloads import RAZORPAY_CASES, RAZORPAY_SECRET, link_paid, sign

AT_TOKEN = "at-hook-token"
TWILIO_TOKEN = "twilio-hook-token"
PUBLIC = "https://kheti.example.org"
FARMER = "+919812345678"
AT_SMS_ID = "ATXid_5b8ec9a1e2c34f4d9b0f3c1a2d7e6f50"
TWILIO_SMS_SID = "SM3f6c2b1a0e9d8c7b6a5f4e3d2c1b0a99"
TWILIO_CALL_SID = "CA0123456789abcdef0123456789abcdef"
AT_CALL_ID = "ATVId_7f3a9c2e1b"
PLIVO_SMS_UUID = "5b7e2c1a-42f3-11f0-b5a1-0242ac110002"

# Rows a webhook may write (and Redis keys it may set): a refused request must leave all of them as they were.
STORED = (InboundMessage, OutboundMessage, UssdSession, CallLog, ExpertRequest, Payment, PaymentEvent)
REDIS_PREFIXES = ("ussd", "voice", "sms:", "receipt:")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # value: a provider's id, code or status | number | words: the farmer's | phone | url: a recording
    width: int = 0  # its column's
    required: bool = False
    refused: bool = True  # a bad value: a 400 naming the field, else the answer the farmer gets anyway


@dataclass(frozen=True)
class Hook:
    name: str
    path: str
    form: dict  # what the provider posts (recorded), with valid values
    fields: tuple[Field, ...]
    answer: str  # what a good answer looks like: ussd | ok | xml | empty


# Per provider field, what it is and how long its column is (farmdb.models); the forms are as the providers post them.
HOOKS = (
    Hook("at ussd hop", "/africastalking/ussd", {
        "sessionId": "ATUid_7f0e5d3c2b1a", "serviceCode": "*384*1234#", "phoneNumber": FARMER,
        "networkCode": "40445", "text": ""}, (
        Field("sessionId", "value", 64, required=True),
        Field("serviceCode", "value", 32, required=True, refused=False),  # unused: the farmer is answered
        Field("networkCode", "value", 16, refused=False),  # Latin letters then
        Field("phoneNumber", "phone", required=True, refused=False), Field("text", "words", refused=False)), "ussd"),
    Hook("at ussd session ended", "/africastalking/ussd/events", {
        "date": "2026-07-15 10:20:31", "sessionId": "ATUid_7f0e5d3c2b1a", "serviceCode": "*384*1234#",
        "networkCode": "40445", "phoneNumber": FARMER, "status": "Incomplete", "cost": "0.0",
        "durationInMillis": "20512", "hopsCount": "3", "input": "1*2", "lastAppResponse": "CON Mausam",
        "errorMessage": ""}, (
        Field("sessionId", "value", 64, required=True), Field("status", "value", 16, required=True),
        # AT re-sends the end of a session until it gets a 200: what only describes it is dropped, the rest kept
        Field("serviceCode", "value", 32, refused=False), Field("networkCode", "value", 16, refused=False),
        Field("cost", "value", 32, refused=False), Field("durationInMillis", "number", refused=False),
        Field("hopsCount", "number", refused=False),
        Field("phoneNumber", "phone", refused=False), Field("input", "words", refused=False),
        Field("lastAppResponse", "words", refused=False), Field("errorMessage", "words", refused=False)), "ok"),
    Hook("at sms", "/africastalking/sms", {
        "from": FARMER, "to": "54321", "text": "kanda bhav lasalgaon", "date": "2026-07-15 09:12:33",
        "id": "ATXid_00000001", "linkId": "SampleLinkId123", "networkCode": "40445"}, (
        Field("id", "value", 64, required=True), Field("linkId", "value", 64),
        Field("from", "phone", required=True), Field("to", "phone", refused=False),
        Field("text", "words", refused=False)), "ok"),
    Hook("at delivery report", "/africastalking/sms/delivery", {
        "id": AT_SMS_ID, "status": "Failed", "phoneNumber": FARMER, "networkCode": "40445",
        "failureReason": "DeliveryFailure", "retryCount": "0"}, (
        Field("id", "value", 64, required=True), Field("status", "value", 40, required=True),
        Field("failureReason", "value", 64, refused=False)), "ok"),
    Hook("at bulk opt-out", "/africastalking/sms/optout", {"senderId": "KHETI", "phoneNumber": FARMER}, (
        Field("phoneNumber", "phone", required=True, refused=False),  # AT would re-send an unusable number
        Field("senderId", "words", refused=False)), "ok"),  # an opt-out is never lost over its sender id
    Hook("at call", "/africastalking/voice", {
        "isActive": "1", "sessionId": AT_CALL_ID, "direction": "Inbound", "callerNumber": FARMER,
        "destinationNumber": "+254711082000", "callerCountryCode": "91"}, (
        Field("sessionId", "value", 64, required=True), Field("isActive", "value", 1, required=True),
        Field("direction", "value", 16), Field("callerNumber", "phone", required=True),
        Field("destinationNumber", "phone", refused=False)), "xml"),
    Hook("at call keys", "/africastalking/voice?turn=keys", {
        "isActive": "1", "sessionId": AT_CALL_ID, "direction": "Inbound", "callerNumber": FARMER,
        "destinationNumber": "+254711082000", "dtmfDigits": "1"}, (
        Field("dtmfDigits", "words", refused=False),), "xml"),
    Hook("at call recording", "/africastalking/voice?turn=record", {
        "isActive": "1", "sessionId": AT_CALL_ID, "direction": "Inbound", "callerNumber": FARMER,
        "destinationNumber": "+254711082000", "recordingUrl": "https://voice.africastalking.com/rec/ATVId_7f.mp3"}, (
        Field("recordingUrl", "url", refused=False),), "xml"),
    Hook("at call ended", "/africastalking/voice", {
        "isActive": "0", "sessionId": AT_CALL_ID, "direction": "Inbound", "callerNumber": FARMER,
        "durationInSeconds": "95", "amount": "1.5000", "currencyCode": "KES"}, (
        Field("durationInSeconds", "number", refused=False), Field("amount", "number", refused=False),
        Field("currencyCode", "value", 3, refused=False)), "empty"),  # AT re-sends it until it gets a 200
    Hook("twilio sms", "/twilio/sms", {
        "MessageSid": "SM" + "1" * 32, "AccountSid": "AC" + "0" * 32, "From": FARMER, "To": "+15005550006",
        "Body": "gehun ka bhav", "NumMedia": "0", "NumSegments": "1"}, (
        Field("MessageSid", "value", 64, required=True), Field("From", "phone", required=True),
        Field("To", "phone", refused=False), Field("Body", "words", refused=False)), "xml"),
    Hook("twilio sms status", "/twilio/sms/status", {
        "MessageSid": TWILIO_SMS_SID, "MessageStatus": "undelivered", "ErrorCode": "30003", "From": "+15005550006",
        "To": FARMER, "AccountSid": "AC" + "0" * 32}, (
        Field("MessageSid", "value", 64, required=True), Field("MessageStatus", "value", 40, required=True),
        Field("ErrorCode", "value", 16, refused=False), Field("To", "phone", refused=False)), "empty"),
    Hook("twilio call", "/twilio/voice", {
        "CallSid": TWILIO_CALL_SID, "AccountSid": "AC" + "1" * 32, "From": FARMER, "To": "+15005550006",
        "CallStatus": "ringing", "Direction": "inbound", "ApiVersion": "2010-04-01"}, (
        Field("CallSid", "value", 64, required=True), Field("Direction", "value", 24),
        Field("From", "phone", required=True), Field("To", "phone", required=True, refused=False)), "xml"),
    Hook("twilio call gather", "/twilio/voice?turn=gather", {
        "CallSid": TWILIO_CALL_SID, "From": FARMER, "To": "+15005550006", "CallStatus": "in-progress",
        "Direction": "inbound", "Digits": "", "SpeechResult": "gehun ka bhav", "Confidence": "0.92"}, (
        Field("Digits", "words", refused=False), Field("SpeechResult", "words", refused=False),
        Field("Confidence", "number", refused=False)), "xml"),  # not understood: asked again
    Hook("twilio call recording", "/twilio/voice?turn=record", {
        "CallSid": TWILIO_CALL_SID, "From": FARMER, "To": "+15005550006", "CallStatus": "in-progress",
        "Direction": "inbound", "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE42",
        "RecordingDuration": "17"}, (
        Field("RecordingUrl", "url", refused=False), Field("RecordingDuration", "number", refused=False)), "xml"),
    Hook("twilio call status", "/twilio/voice/status", {
        "CallSid": TWILIO_CALL_SID, "CallStatus": "completed", "CallDuration": "42", "From": FARMER,
        "To": "+15005550006", "Direction": "inbound"}, (
        Field("CallSid", "value", 64, required=True), Field("CallStatus", "value", 24, required=True),
        Field("CallDuration", "number", refused=False)), "empty"),
    Hook("plivo sms", "/plivo/sms", plivo.inbound_sms("gehun ka bhav"), (
        Field("MessageUUID", "value", 64, required=True), Field("From", "phone", required=True),
        Field("To", "phone", refused=False), Field("Text", "words", refused=False)), "xml"),
    Hook("plivo sms status", "/plivo/sms/status", plivo.delivery_report("undelivered", uuid=PLIVO_SMS_UUID,
                                                                        error="80"), (
        Field("MessageUUID", "value", 64, required=True), Field("ParentMessageUUID", "value", 64),
        Field("Status", "value", 40, required=True), Field("ErrorCode", "value", 16, refused=False),
        Field("To", "phone", refused=False)), "empty"),
    Hook("plivo call", "/plivo/voice", plivo.answered(CallStatus="ringing"), (
        Field("CallUUID", "value", 64, required=True), Field("Direction", "value", 16),
        Field("From", "phone", required=True), Field("To", "phone", required=True, refused=False)), "xml"),
    Hook("plivo call input", "/plivo/voice?turn=input", plivo.speech("gehun ka bhav", Digits=""), (
        Field("Digits", "words", refused=False), Field("Speech", "words", refused=False),
        Field("SpeechConfidenceScore", "number", refused=False)), "xml"),  # not understood: asked again
    Hook("plivo call recording", "/plivo/voice?turn=record", plivo.recorded(), (
        Field("RecordUrl", "url", refused=False), Field("RecordingDuration", "number", refused=False)), "xml"),
    Hook("plivo call hangup", "/plivo/voice/status", plivo.hung_up(), (
        Field("CallUUID", "value", 64, required=True), Field("CallStatus", "value", 24, required=True),
        Field("Duration", "number", refused=False), Field("TotalCost", "number", refused=False)), "empty"),
)

# Routes that are not a provider's webhook, and where their bad input is tested instead.
NOT_WEBHOOKS = {
    ("GET", "/static/<path:filename>"): "Flask's own",
    ("GET", "/metrics"): "tests/gateway/test_metrics.py",
    ("GET", "/healthz"): "tests/gateway/test_health.py",
    ("GET", "/readyz"): "tests/gateway/test_health.py",
    ("GET", "/payments/sandbox/<ref>"): "the farmer's payment page: tests/gateway/test_payments.py",
    ("POST", "/payments/sandbox/<ref>/pay"): "the farmer's payment page: tests/gateway/test_payments.py",
    ("GET", "/voice/audio/<locale>/<clip>.wav"): "tests/gateway (voice audio)",
    ("GET", "/voice/audio/<locale>/play/<token>.wav"): "tests/gateway (voice audio)",
}
RAZORPAY_WEBHOOK = "/payments/razorpay/webhook"


def _bad_values(field: Field):
    """(what, value) pairs: every kind of bad value for this kind of field. None: the field is left out."""
    if field.kind == "value":
        yield from [("NUL", "ATx\x00y"), ("control character", "ATx\x1b[2J"), ("format character", "ATx\u202ey"),
                    ("longer than its column", "A" * (field.width + 1))]
    elif field.kind == "number":
        yield from [("huge", "9" * 25), ("overflows a float", "1e400"), ("negative", "-5"), ("not a number", "nan"),
                    ("words", "twelve"), ("other digits", "\u0661\u0662"), ("NUL", "1\x002")]
    elif field.kind == "words":
        yield from [("NUL", "1\x00 kanda"), ("control character", "kanda\x1b[2J"), ("format character", "\u202ekanda"),
                    ("very long", "kanda bhav " * (MAX_TEXT // 10 + 10)), ("not UTF-8", "%FF%FE"),
                    ("Devanagari and emoji", "प्याज़ का भाव 🧅")]
    elif field.kind == "phone":
        yield from [("NUL", FARMER[:6] + "\x00" + FARMER[6:]), ("longer than a number", "+91" + "9" * 40),
                    ("format character", "\u202e" + FARMER), ("words", "call me")]
    elif field.kind == "url":
        yield from [("NUL", "https://api.twilio.com/\x00x"),
                    ("longer than its column", "https://api.twilio.com/" + "r" * 500),
                    ("someone else's host", "https://attacker.example/rec.mp3"),
                    ("plain http", "http://api.twilio.com/x"),
                    ("the cloud's metadata", "https://169.254.169.254/latest/meta-data/")]
    if field.required:
        yield "missing", None


def _field_cases():
    for hook in HOOKS:
        for field in hook.fields:
            for what, value in _bad_values(field):
                refused = field.refused or value is None
                yield pytest.param(hook, field.name, value, refused, id=f"{hook.name}: {field.name} {what}")


@pytest.fixture
def service(make_service):
    service, _ = make_service(at_webhook_token=AT_TOKEN, twilio_auth_token=TWILIO_TOKEN, public_base_url=PUBLIC,
                              plivo_auth_id=plivo.AUTH_ID, plivo_auth_token=plivo.TOKEN,
                              payment_provider="razorpay", razorpay_key_id="rzp_test_1DP5mmOlF5G5ag",
                              razorpay_key_secret="key-secret", razorpay_webhook_secret=RAZORPAY_SECRET)
    return service


@pytest.fixture
def client(service, sessions, register_farmer):
    """The app, with what the table's payloads speak of: a farmer, the messages the receipts are about, the calls the
    call statuses are about, a pending Razorpay link."""
    register_farmer(locale="en")
    with sessions() as db, db.begin():
        db.execute(delete(UssdSession))  # not among the tables conftest empties after each test
        for provider, ref in (("africastalking", AT_SMS_ID), ("twilio", TWILIO_SMS_SID), ("plivo", PLIVO_SMS_UUID)):
            db.add(OutboundMessage(idempotency_key=f"test:{ref}", phone=FARMER, body="Kheti Sahayak: Namaste",
                                   locale="en", category="service_implicit", purpose="reply", provider=provider,
                                   provider_message_id=ref, status="sent", encoding="GSM-7", segments=1))
        for provider, call_id in (("twilio", TWILIO_CALL_SID), ("africastalking", AT_CALL_ID),
                                  ("plivo", plivo.CALL_UUID)):
            db.add(CallLog(provider=provider, call_id=call_id, kind="hotline", direction="inbound", phone=FARMER,
                           line="+15005550006", status="in-progress"))
        db.add(Payment(amount_minor=9900, currency="INR", purpose="subscription", provider="razorpay",
                       provider_ref="plink_Bad1", status="pending", idempotency_key="test:razorpay:bad"))
    app = create_app(service=service, today=lambda: SEED_DAY)
    app.config.update(TESTING=True)
    return app.test_client()


def _post(client, hook: Hook, form: dict | None = None, body: bytes | None = None, content_type=None, **headers):
    """Posted as the provider posts it, with its credential: AT's token in the URL, Twilio's and Plivo's signatures
    over the URL and the form as the app will read it (an unreadable body is read as no form at all)."""
    path = hook.path
    if path.startswith("/africastalking/"):
        path += ("&" if "?" in path else "?") + urlencode({"token": AT_TOKEN})
    if body is None:
        body = urlencode(form or {}).encode()
        content_type = "application/x-www-form-urlencoded"
    if path.startswith("/twilio/"):
        headers["X-Twilio-Signature"] = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC + path, form or {})
    if path.startswith("/plivo/"):
        headers.update(plivo.signature(PUBLIC + path, form or {}))
    return client.post(path, data=body, content_type=content_type, headers=headers)


def _stored(sessions, redis) -> tuple:
    with sessions() as db:
        rows = [tuple(db.execute(select(*model.__table__.c)).all()) for model in STORED]
    return rows, sorted(k for k in redis.keys("*") if k.decode().startswith(REDIS_PREFIXES))


def _fits_its_columns(sessions) -> list[str]:
    """What PostgreSQL would refuse (a NUL in text, a value longer than its column, a number larger than its column
    holds; SQLite takes them all), and numbers no provider means (every number kept here is a count or an amount)."""
    wrong = []
    with sessions() as db:
        for model in STORED:
            columns = [c for c in model.__table__.c if isinstance(c.type, (String, Integer, Numeric))]
            for row in db.execute(select(*columns)).all():
                for column, value in zip(columns, row):
                    if value is not None and not _fits(column.type, value):
                        wrong.append(f"{model.__tablename__}.{column.name}={str(value)[:40]!r}")
    return wrong


def _fits(kind, value) -> bool:
    if isinstance(kind, String):
        return "\x00" not in value and len(value) <= (kind.length or len(value))
    if isinstance(kind, Numeric) and not isinstance(kind, Integer):
        return 0 <= value < 10 ** (kind.precision - kind.scale)
    return 0 <= value <= 2**31 - 1


def _answered(hook: Hook, response) -> None:
    """The answer the provider (and the farmer) would get for a good request."""
    body = response.get_data(as_text=True)
    if hook.answer == "ussd":
        assert response.status_code == 200 and body.startswith(("CON ", "END ")), body
    elif hook.answer == "ok":
        assert (response.status_code, body) == (200, "OK"), body
    elif hook.answer == "xml":
        assert response.status_code == 200 and ElementTree.fromstring(body).tag == "Response", body
    else:
        assert response.status_code in (200, 204) and body == "", body


def _refused(response, *names: str) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)
    assert any(name in response.json["message"] for name in names), response.json


def test_every_route_is_a_webhook_in_the_table_or_said_to_be_tested_elsewhere(client):
    routes = {(method, rule.rule) for rule in client.application.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}
              if not rule.endpoint.startswith(("console.", "api.", "api_legacy."))}
    webhooks = {("POST", hook.path.split("?")[0]) for hook in HOOKS} | {("POST", RAZORPAY_WEBHOOK)}
    assert routes - set(NOT_WEBHOOKS) == webhooks


@pytest.mark.parametrize("hook", HOOKS, ids=[h.name for h in HOOKS])
def test_the_recorded_payloads_are_answered(client, hook):
    _answered(hook, _post(client, hook, hook.form))


@pytest.mark.parametrize("hook, name, value, refused", list(_field_cases()))
def test_a_bad_field_is_refused_naming_it_or_answered_politely(client, sessions, redis_client, hook, name, value,
                                                               refused):
    form = {k: v for k, v in hook.form.items() if k != name}
    if value is not None:
        form[name] = value
    before = _stored(sessions, redis_client)
    response = _post(client, hook, form)
    if refused:
        _refused(response, name)
        assert _stored(sessions, redis_client) == before, "a refused request changed what is stored"
    else:
        _answered(hook, response)
    assert _fits_its_columns(sessions) == []


@pytest.mark.parametrize("what, body, content_type", [
    ("not UTF-8", b"sessionId=\xff\xfe&id=\xc3\x28&text=\xed\xa0\x80", "application/x-www-form-urlencoded"),
    ("a JSON object", None, "application/json"),
    ("JSON nested deeply", b"[" * 20_000, "application/json"),
    ("nothing", b"", None),
])
@pytest.mark.parametrize("hook", HOOKS, ids=[h.name for h in HOOKS])
def test_a_body_that_is_not_a_form_is_a_400(client, sessions, redis_client, hook, what, body, content_type):
    body = json.dumps(hook.form).encode() if body is None else body
    before = _stored(sessions, redis_client)
    response = _post(client, hook, body=body, content_type=content_type)
    _refused(response, "missing form field")
    assert _stored(sessions, redis_client) == before


@pytest.mark.parametrize("hook", HOOKS, ids=[h.name for h in HOOKS])
def test_a_header_that_is_not_ascii_changes_nothing(client, hook):
    _answered(hook, _post(client, hook, hook.form, **{"X-Request-ID": "r\xe9q-\xff", "User-Agent": "Kh\xe9ti"}))


@pytest.mark.parametrize("path, headers", [
    ("/africastalking/sms?token=\xe9t\xe9", {}),
    ("/twilio/sms", {"X-Twilio-Signature": "sig\xe9\xff"}),
    ("/plivo/sms", {"X-Plivo-Signature-V3": "sig\xe9\xff", "X-Plivo-Signature-V3-Nonce": "4\xe92"}),
    (RAZORPAY_WEBHOOK, {"X-Razorpay-Signature": "0f\xe9\xff", "X-Razorpay-Event-Id": "evt_1"}),
])
def test_a_credential_that_is_not_ascii_is_refused_without_a_5xx(client, sessions, path, headers):
    response = client.post(path, data=b"{}", content_type="application/json", headers=headers)
    assert response.status_code in (400, 403), response.get_data(as_text=True)
    assert not _fits_its_columns(sessions)


@pytest.mark.parametrize("what, body, event_id, reason", RAZORPAY_CASES)
def test_a_signed_razorpay_body_we_cannot_read_is_a_400_and_nothing_is_recorded(client, sessions, redis_client, what,
                                                                                body, event_id, reason):
    before = _stored(sessions, redis_client)
    response = client.post(RAZORPAY_WEBHOOK, data=body, content_type="application/json",
                           headers={"X-Razorpay-Signature": sign(body), "X-Razorpay-Event-Id": event_id})
    assert response.status_code == 400 and reason in json.dumps(response.json), response.get_data(as_text=True)
    assert _stored(sessions, redis_client) == before


def test_the_razorpay_payload_itself_is_read(client, sessions):
    body = json.dumps(link_paid()).encode()
    response = client.post(RAZORPAY_WEBHOOK, data=body, content_type="application/json",
                           headers={"X-Razorpay-Signature": sign(body), "X-Razorpay-Event-Id": "evt_Good1"})
    assert (response.status_code, response.json) == (200, {"result": "paid"})


@pytest.mark.parametrize("typed", ["9\x00", "\x1b[2J9", "9\u202e", "%FF%FE", "९९"])
def test_a_caller_typing_what_no_menu_offers_gets_the_translated_re_prompt(client, typed):
    hook = HOOKS[0]
    first = _post(client, hook, hook.form).get_data(as_text=True)  # the registered farmer's main menu, in English
    again = _post(client, hook, {**hook.form, "text": typed}).get_data(as_text=True)
    assert again.startswith("CON " + texts("en", latin=True)("error.invalid_option"))
    assert again.endswith(first.removeprefix("CON "))
