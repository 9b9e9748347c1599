"""POST /twilio/sms/status as Twilio calls it: signed recorded payloads and the rows they must leave, STOP (error
21610) opting the farmer out, and unsigned or forged requests refused before anything changes."""
from dataclasses import replace

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from farmdb.models import Farmer, OutboundMessage
from gateway import create_app
from service.outbox import queue_sms
from tests.conftest import SEED_DAY

TOKEN = "7c1f0a9d2b3e4f5a6b7c8d9e0f1a2b3c"
URL = "http://localhost/twilio/sms/status"  # what the test client calls, and so what Twilio would have signed
PHONE = "+919812345678"
SID = "SM3f6c2b1a0e9d8c7b6a5f4e3d2c1b0a99"


def _app(settings, backends):
    app = create_app(settings, backends=backends, today=lambda: SEED_DAY)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def client(settings, backends):
    return _app(replace(settings, twilio_auth_token=TOKEN), backends).test_client()


def _post(client, form, signature=None):
    if signature is None:
        signature = RequestValidator(TOKEN).compute_signature(URL, form)
    return client.post("/twilio/sms/status", data=form, headers={"X-Twilio-Signature": signature})


@pytest.fixture
def message(client, sessions):
    """A message queued and sent (the app runs the console sender), then labelled as Twilio's sender labels it."""
    with sessions() as db, db.begin():
        message_id = queue_sms(client.application.extensions["kheti"], db, phone=PHONE, body="Kheti Sahayak: Kal Nashik mein barish, chhidkav na karein.",
                               locale="hi",
                               category="service_implicit", purpose="advisory", idempotency_key="test:twilio:1").id
    with sessions() as db, db.begin():
        row = db.get(OutboundMessage, message_id)
        row.provider, row.provider_message_id, row.status, row.provider_status = "twilio", SID, "queued", "queued"
    return message_id


def _row(sessions, message_id):
    with sessions() as db:
        row = db.get(OutboundMessage, message_id)
        return row.status, row.provider_status, row.last_error, row.delivered_at is not None


def _callback(status, **extra):
    """Every field Twilio posts on a status callback (it adds fields without notice: unknown ones are ignored)."""
    return {"SmsSid": SID, "SmsStatus": status, "MessageStatus": status, "To": PHONE, "MessageSid": SID,
            "AccountSid": "AC0123456789abcdef0123456789abcdef", "From": "+15005550006", "ApiVersion": "2010-04-01",
            **extra}


def _opted_out(sessions, phone=PHONE):
    with sessions() as db:
        farmer = db.scalar(select(Farmer).where(Farmer.phone == phone))
        return farmer.sms_opted_out, farmer.sms_opted_out_at is not None


# Status callbacks as Twilio posts them, with the row each must leave: (status, provider_status, last_error,
# delivered_at set).
RECORDED_CALLBACKS = [
    (_callback("sending"), ("sending", "sending", None, False)),
    (_callback("sent"), ("sent", "sent", None, False)),
    (_callback("delivered"), ("delivered", "delivered", None, True)),
    (_callback("read"), ("delivered", "read", None, True)),
    (_callback("partially_delivered"), ("sent", "partially_delivered", None, False)),
    (_callback("undelivered", ErrorCode="30003"), ("undelivered", "undelivered", "30003", False)),
    (_callback("failed", ErrorCode="30008"), ("failed", "failed", "30008", False)),
    (_callback("canceled"), ("failed", "canceled", None, False)),
    (_callback("accepted", MessagingServiceSid="MG0123456789abcdef0123456789abcdef"),
     ("queued", "accepted", None, False)),
    (_callback("sent", RawDlrDoneDate="2607151021", NewFieldTwilioAddedLater="x"), ("sent", "sent", None, False)),
    (_callback("bounced"), ("queued", "bounced", None, False)),  # unknown: kept, ours unchanged
    ({"MessageSid": SID, "MessageStatus": "delivered"}, ("delivered", "delivered", None, True)),  # the bare minimum
]


@pytest.mark.parametrize("form, row", RECORDED_CALLBACKS)
def test_recorded_status_callbacks(client, sessions, message, form, row):
    response = _post(client, form)
    assert (response.status_code, response.get_data()) == (204, b"")
    assert _row(sessions, message) == row


def test_crossing_callbacks_never_move_backwards(client, sessions, message):
    for status in ["sent", "delivered", "sent", "sending", "queued", "delivered"]:
        assert _post(client, _callback(status)).status_code == 204
    assert _row(sessions, message) == ("delivered", "delivered", None, True)


def test_stop_marks_the_message_failed_and_opts_the_farmer_out(client, sessions, message, register_farmer):
    register_farmer(phone=PHONE)
    assert _post(client, _callback("failed", ErrorCode="21610")).status_code == 204
    assert _row(sessions, message) == ("failed", "failed", "21610", False)
    assert _opted_out(sessions) == (True, True)


def test_stop_for_a_number_with_no_farmer_is_answered_and_logged(client, sessions, message, caplog):
    response = _post(client, _callback("failed", ErrorCode="21610", To="+919800000001"))
    assert response.status_code == 204
    assert _row(sessions, message)[0] == "failed"
    assert any("no farmer" in r.getMessage() for r in caplog.records)


def test_other_errors_opt_nobody_out(client, sessions, message, register_farmer):
    register_farmer(phone=PHONE)
    _post(client, _callback("undelivered", ErrorCode="30005"))
    assert _opted_out(sessions) == (False, False)


def test_a_callback_for_a_message_not_yet_recorded_is_answered_and_kept(client, app):
    response = _post(client, _callback("delivered", MessageSid="SM00000000000000000000000000000000"))
    assert response.status_code == 204
    assert app.extensions["kheti"].backends.redis.lrange("receipt:early:twilio:SM00000000000000000000000000000000", 0, -1) \
        == [b'["delivered", null]']


@pytest.mark.parametrize("missing", ["MessageSid", "MessageStatus"])
def test_a_callback_without_its_fields_is_a_400_naming_it(client, missing):
    form = _callback("delivered")
    del form[missing]
    response = _post(client, form)
    assert response.status_code == 400 and response.json["message"] == f"missing form field: {missing}"


@pytest.mark.parametrize("signature", [
    "",  # missing
    "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",  # well-formed, for another request
    RequestValidator("another-token").compute_signature(URL, _callback("failed", ErrorCode="21610")),
    RequestValidator(TOKEN).compute_signature(URL, _callback("delivered")),  # the body was changed after signing
    RequestValidator(TOKEN).compute_signature("http://localhost/twilio/sms/other", _callback("failed",
                                                                                           ErrorCode="21610")),
])
def test_an_unsigned_or_forged_callback_is_refused_and_changes_nothing(client, sessions, message, register_farmer,
                                                                       signature):
    register_farmer(phone=PHONE)
    response = _post(client, _callback("failed", ErrorCode="21610"), signature=signature)
    assert response.status_code == 403 and response.json["message"] == "invalid X-Twilio-Signature"
    assert _row(sessions, message) == ("queued", "queued", None, False)
    assert _opted_out(sessions) == (False, False)


def test_without_an_auth_token_every_callback_is_refused(settings, backends, sessions, message):
    client = _app(settings, backends).test_client()  # TWILIO_AUTH_TOKEN unset
    assert _post(client, _callback("delivered")).status_code == 403
    assert _row(sessions, message) == ("queued", "queued", None, False)
