"""POST /africastalking/sms/delivery and /sms/optout as Africa's Talking calls them: recorded payloads and the rows
they must leave, re-sends, authentication and bad input."""
from dataclasses import replace

import pytest
from sqlalchemy import select

from farmdb.models import Farmer, OutboundMessage
from gateway import create_app
from service.outbox import queue_sms

PHONE = "+919812345678"
AT_ID = "ATXid_5b8ec9a1e2c34f4d9b0f3c1a2d7e6f50"


@pytest.fixture
def message(app, service, sessions):
    """A message queued and sent (the app runs the console sender), then labelled as AT's sender labels it."""
    with sessions() as db, db.begin():
        message_id = queue_sms(service, db, phone=PHONE, body="Kheti Sahayak: Pyaz ka bhav Lasalgaon 1850/qtl", locale="hi",
                               category="service_implicit", purpose="reply", idempotency_key="test:at:1").id
    with sessions() as db, db.begin():
        row = db.get(OutboundMessage, message_id)
        row.provider, row.provider_message_id = "africastalking", AT_ID
    return message_id


def _row(sessions, message_id):
    with sessions() as db:
        row = db.get(OutboundMessage, message_id)
        return row.status, row.provider_status, row.last_error, row.delivered_at is not None


def _report(status, **extra):
    return {"id": AT_ID, "status": status, "phoneNumber": PHONE, "networkCode": "40445", "retryCount": "0", **extra}


# Delivery reports as AT posts them (form-encoded), with the row each must leave: (status, provider_status,
# last_error, delivered_at set).
RECORDED_REPORTS = [
    (_report("Success"), ("delivered", "Success", None, True)),
    (_report("Sent"), ("sent", "Sent", None, False)),
    (_report("Submitted", networkCode="40410"), ("sent", "Submitted", None, False)),
    (_report("Buffered", retryCount="2"), ("sent", "Buffered", None, False)),
    (_report("Failed", failureReason="DeliveryFailure", retryCount="3"), ("failed", "Failed", "DeliveryFailure", False)),
    (_report("Rejected", failureReason="UserInBlackList"), ("failed", "Rejected", "UserInBlackList", False)),
    (_report("Failed", failureReason="NotNetworkSubcriber"), ("failed", "Failed", "NotNetworkSubcriber", False)),
    (_report("Expired"), ("sent", "Expired", None, False)),  # unknown: kept, ours unchanged
    ({"id": AT_ID, "status": "Success"}, ("delivered", "Success", None, True)),  # the bare minimum
]


@pytest.mark.parametrize("form, row", RECORDED_REPORTS)
def test_recorded_delivery_reports(client, sessions, message, form, row):
    response = client.post("/africastalking/sms/delivery", data=form)
    assert (response.status_code, response.mimetype, response.get_data(as_text=True)) == (200, "text/plain", "OK")
    assert _row(sessions, message) == row


def test_a_late_sent_after_success_and_resends_change_nothing(client, sessions, message):
    for status in ["Submitted", "Success", "Sent", "Success", "Success", "Buffered"]:
        assert client.post("/africastalking/sms/delivery", data=_report(status)).status_code == 200
    assert _row(sessions, message) == ("delivered", "Success", None, True)


def test_a_failure_is_final(client, sessions, message):
    client.post("/africastalking/sms/delivery", data=_report("Failed", failureReason="UserIsInactive"))
    client.post("/africastalking/sms/delivery", data=_report("Success"))
    assert _row(sessions, message) == ("failed", "Failed", "UserIsInactive", False)


def test_a_report_for_a_message_not_yet_recorded_is_answered_and_kept(client, app, caplog):
    caplog.set_level("INFO", logger="service.receipts")
    response = client.post("/africastalking/sms/delivery", data={**_report("Success"), "id": "ATXid_unknown"})
    assert response.status_code == 200 and response.get_data(as_text=True) == "OK"
    assert any("before the send was recorded" in r.getMessage() for r in caplog.records)
    redis = app.extensions["kheti"].backends.redis
    assert redis.lrange("receipt:early:africastalking:ATXid_unknown", 0, -1) == [b'["Success", null]']
    assert 0 < redis.ttl("receipt:early:africastalking:ATXid_unknown") <= 6 * 3600


@pytest.mark.parametrize("missing", ["id", "status"])
def test_a_report_without_its_fields_is_a_400_naming_it(client, missing):
    form = _report("Success")
    del form[missing]
    response = client.post("/africastalking/sms/delivery", data=form)
    assert response.status_code == 400 and response.json["message"] == f"missing form field: {missing}"


def _opted_out(sessions, phone=PHONE):
    with sessions() as db:
        farmer = db.scalar(select(Farmer).where(Farmer.phone == phone))
        return farmer.sms_opted_out, farmer.sms_opted_out_at is not None


@pytest.mark.parametrize("form", [
    {"senderId": "KHETIS", "phoneNumber": PHONE},
    {"senderId": "KHETIS", "phoneNumber": "919812345678"},  # no '+'
    {"phoneNumber": PHONE},
])
def test_the_opt_out_callback_opts_the_farmer_out(client, sessions, register_farmer, form):
    register_farmer(phone=PHONE)
    for _ in range(2):  # re-sent: the same answer, the same row
        response = client.post("/africastalking/sms/optout", data=form)
        assert (response.status_code, response.get_data(as_text=True)) == (200, "OK")
    assert _opted_out(sessions) == (True, True)


@pytest.mark.parametrize("number, logged", [("+919800000001", "no farmer"), ("12345", "unusable phone number")])
def test_an_opt_out_for_an_unknown_number_is_answered_and_logged(client, sessions, register_farmer, caplog,
                                                                number, logged):
    register_farmer(phone=PHONE)
    response = client.post("/africastalking/sms/optout", data={"senderId": "KHETIS", "phoneNumber": number})
    assert (response.status_code, response.get_data(as_text=True)) == (200, "OK")
    assert any(logged in r.getMessage() for r in caplog.records)
    assert _opted_out(sessions) == (False, False)


def test_an_opt_out_without_a_number_is_a_400(client):
    response = client.post("/africastalking/sms/optout", data={"senderId": "KHETIS"})
    assert response.status_code == 400 and response.json["message"] == "missing form field: phoneNumber"


def test_the_token_is_required_when_configured(settings, backends, sessions, message, register_farmer):
    register_farmer(phone=PHONE)
    client = create_app(replace(settings, at_webhook_token="s3cret-t0ken"), backends=backends).test_client()
    calls = [("/africastalking/sms/delivery", _report("Failed", failureReason="DeliveryFailure")),
             ("/africastalking/sms/optout", {"senderId": "KHETIS", "phoneNumber": PHONE})]
    for path, form in calls:
        for query in ["", "?token=wrong", "?token="]:
            response = client.post(path + query, data=form)
            assert response.status_code == 403 and response.json["message"] == "missing or wrong token"
    assert _row(sessions, message) == ("sent", None, None, False)  # refused before anything was stored
    assert _opted_out(sessions) == (False, False)
    for path, form in calls:
        assert client.post(path + "?token=s3cret-t0ken", data=form).status_code == 200
    assert _row(sessions, message) == ("failed", "Failed", "DeliveryFailure", False)
    assert _opted_out(sessions) == (True, True)
