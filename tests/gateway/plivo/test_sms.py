"""SMS over Plivo through the real app: recorded messages and delivery reports in, signed as Plivo signs them; the
reply goes out through the outbox with its DLT template (and over Plivo's API, with the DLT ids, when +91 is routed
to Plivo); reports move a message forward only; ErrorCode 200 (STOP) opts the farmer out; with the database away
both are kept in Redis and replayed."""
import json
from dataclasses import replace
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select

from farmdb.db import make_engine, make_sessionmaker
from farmdb.models import Farmer, InboundMessage, OutboundMessage
from gateway import create_app
from service.connections import Backends
from service.outbox import queue_sms
from service.spool import waiting
from tests.conftest import SEED_DAY, unreachable_redis
from tests.gateway.plivo.conftest import MESSAGE_URL
from tests.gateway.plivo.payloads import (
    FARMER, HOTLINE, MESSAGE_UUID, PUBLIC, TOKEN, bare, delivery_report, inbound_sms, post,
)

SMS_URL, STATUS_URL = f"{PUBLIC}/plivo/sms", f"{PUBLIC}/plivo/sms/status"
SENT_UUID = "5b7e2c1a-42f3-11f0-b5a1-0242ac110002"  # what Plivo answered when we sent the message


def _outbox(sessions) -> list[OutboundMessage]:
    with sessions() as db:
        return db.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()


def test_a_message_is_answered_through_the_outbox_with_its_dlt_template(plivo_app, register_farmer, sessions):
    farmer_id = register_farmer(locale="hi")
    response = post(plivo_app.test_client(), SMS_URL, inbound_sms("kanda bhav lasalgaon"))
    assert (response.status_code, response.mimetype) == (200, "application/xml")
    assert ElementTree.fromstring(response.get_data()).tag == "Response" and len(response.get_data()) < 40
    with sessions() as db:
        [row] = db.scalars(select(InboundMessage)).all()
    assert (row.provider, row.provider_message_id, row.phone, row.to_address, row.farmer_id, row.intent) == \
        ("plivo", MESSAGE_UUID, FARMER, f"+{HOTLINE}", farmer_id, "market_price")
    [reply] = _outbox(sessions)
    assert (reply.purpose, reply.category, reply.phone, reply.status) == ("reply", "service_implicit", FARMER, "sent")
    assert reply.template_id and reply.dlt_entity_id  # India: matched to a registered template before it went


def test_with_india_routed_to_plivo_the_reply_goes_out_over_plivo_with_its_dlt_ids(india_by_plivo, register_farmer,
                                                                                 sessions, api):
    register_farmer(locale="en")
    api.post(MESSAGE_URL, json={"api_id": "a1", "message": "message(s) queued", "message_uuid": [SENT_UUID]},
             status=202)
    assert post(india_by_plivo.test_client(), SMS_URL, inbound_sms("PRICE ONION")).status_code == 200
    [reply] = _outbox(sessions)
    assert (reply.provider, reply.provider_message_id, reply.status) == ("plivo", SENT_UUID, "queued")
    [sent] = api.calls
    body = json.loads(sent.request.body)
    assert {k: body[k] for k in ("src", "dst", "text", "url", "dlt_template_id", "dlt_entity_id",
                                 "dlt_template_category")} == {
        "src": "KHETIS", "dst": bare(FARMER), "text": reply.body, "url": STATUS_URL, "dlt_template_id":
            reply.template_id, "dlt_entity_id": reply.dlt_entity_id, "dlt_template_category": "service_implicit"}

    # and Plivo's reports on it move the row forward, never back
    client = india_by_plivo.test_client()
    for status in ("sent", "delivered", "sent", "queued"):
        report = delivery_report(status, uuid=SENT_UUID, error="000" if status == "delivered" else "")
        assert post(client, STATUS_URL, report).status_code == 200
    [reply] = _outbox(sessions)
    assert (reply.status, reply.provider_status, reply.last_error, reply.delivered_at is not None) == \
        ("delivered", "delivered", None, True)


def test_the_same_message_twice_is_answered_once(plivo_app, register_farmer, sessions):
    register_farmer(locale="hi")
    client = plivo_app.test_client()
    for _ in range(2):  # Plivo posting it again
        assert post(client, SMS_URL, inbound_sms("mujhe call karo")).status_code == 200
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(InboundMessage)) == 1
    assert len(_outbox(sessions)) == 1


@pytest.mark.parametrize("form, problem", [
    ({k: v for k, v in inbound_sms("hi").items() if k != "MessageUUID"}, "missing form field: MessageUUID"),
    ({k: v for k, v in inbound_sms("hi").items() if k != "From"}, "missing form field: From"),
    (inbound_sms("hi", phone="KHETIS"), "invalid sender number in 'From'"),
])
def test_a_malformed_message_is_a_400_naming_the_field(plivo_app, sessions, form, problem):
    response = post(plivo_app.test_client(), SMS_URL, form)
    assert response.status_code == 400 and response.json["message"] == problem
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(InboundMessage)) == 0


# --- delivery reports ------------------------------------------------------------------------------------------------

@pytest.fixture
def message(plivo_app, sessions):
    """A message queued and sent (the app runs the console sender), then labelled as Plivo's sender labels it."""
    with sessions() as db, db.begin():
        message_id = queue_sms(plivo_app.extensions["kheti"], db, phone=FARMER,
                               body="Kheti Sahayak: Kal Nashik mein barish, chhidkav na karein.", locale="hi",
                               category="service_implicit", purpose="advisory", idempotency_key="test:plivo:1").id
    with sessions() as db, db.begin():
        row = db.get(OutboundMessage, message_id)
        row.provider, row.provider_message_id, row.status, row.provider_status = "plivo", SENT_UUID, "queued", "queued"
    return message_id


def _row(sessions, message_id):
    with sessions() as db:
        row = db.get(OutboundMessage, message_id)
        return row.status, row.provider_status, row.last_error, row.delivered_at is not None


def _opted_out(sessions, phone=FARMER):
    with sessions() as db:
        return db.scalar(select(Farmer.sms_opted_out).where(Farmer.phone == phone))


# Reports as Plivo posts them (but the one marked ASSUMED), with the row each must leave:
# (status, provider_status, last_error, delivered).
RECORDED_REPORTS = [
    (delivery_report("queued", uuid=SENT_UUID), ("queued", "queued", None, False)),
    (delivery_report("sent", uuid=SENT_UUID), ("sent", "sent", None, False)),
    (delivery_report("delivered", uuid=SENT_UUID, error="000", DeliveryReportTime="2026-07-15 10:20:40.000000"),
     ("delivered", "delivered", None, True)),
    (delivery_report("undelivered", uuid=SENT_UUID, error="80"), ("undelivered", "undelivered", "80", False)),
    (delivery_report("failed", uuid=SENT_UUID, error="50"), ("failed", "failed", "50", False)),
    (delivery_report("rejected", uuid=SENT_UUID, error="30"), ("failed", "rejected", "30", False)),
    # ASSUMED, not recorded: a report naming a part by its own uuid and the send's as its parent. Plivo's docs call
    # ParentMessageUUID "same as MessageUUID, reserved for future use"; should parts ever be reported apart, this is
    # how we would read them.
    (delivery_report("delivered", uuid="9a0c52be-42f3-11f0-b5a1-0242ac110002", parent=SENT_UUID, error="000",
                     part="2 of 2", Units="2"), ("delivered", "delivered", None, True)),
    ({"MessageUUID": SENT_UUID, "Status": "sent"}, ("sent", "sent", None, False)),  # the bare minimum
    (delivery_report("read", uuid=SENT_UUID), ("queued", "read", None, False)),  # unknown to us: kept, ours unchanged
]


@pytest.mark.parametrize("form, row", RECORDED_REPORTS)
def test_recorded_delivery_reports(plivo_app, sessions, message, form, row):
    response = post(plivo_app.test_client(), STATUS_URL, form)
    assert (response.status_code, response.get_data()) == (200, b"")
    assert _row(sessions, message) == row


def test_crossing_reports_never_move_a_message_backwards(plivo_app, sessions, message):
    client = plivo_app.test_client()
    for status in ("sent", "delivered", "sent", "queued", "undelivered"):
        assert post(client, STATUS_URL, delivery_report(status, uuid=SENT_UUID)).status_code == 200
    assert _row(sessions, message) == ("delivered", "delivered", None, True)


def test_stop_fails_the_message_and_opts_the_farmer_out(plivo_app, sessions, message, register_farmer):
    register_farmer(phone=FARMER)
    report = delivery_report("failed", uuid=SENT_UUID, error="200")
    assert post(plivo_app.test_client(), STATUS_URL, report).status_code == 200
    assert _row(sessions, message) == ("failed", "failed", "200", False)
    assert _opted_out(sessions) is True


def test_other_errors_opt_nobody_out(plivo_app, sessions, message, register_farmer):
    register_farmer(phone=FARMER)
    post(plivo_app.test_client(), STATUS_URL, delivery_report("undelivered", uuid=SENT_UUID, error="80"))
    assert _opted_out(sessions) is False


def test_a_report_before_the_send_is_recorded_is_kept_for_it(plivo_app):
    unknown = "11111111-2222-3333-4444-555555555555"
    assert post(plivo_app.test_client(), STATUS_URL, delivery_report("delivered", uuid=unknown)).status_code == 200
    redis = plivo_app.extensions["kheti"].backends.redis
    assert redis.lrange(f"receipt:early:plivo:{unknown}", 0, -1) == [b'["delivered", null]']


# --- the database away -----------------------------------------------------------------------------------------------

def _down(settings, redis):
    down = make_engine("postgresql://postgres@127.0.0.1:1/nowhere")  # nothing listens there: refused at once
    app = create_app(settings, backends=Backends(engine=down, sessions=make_sessionmaker(down), redis=redis),
                     today=lambda: SEED_DAY)
    return app.test_client()


def test_with_the_database_down_both_are_kept_and_replayed_once_it_is_back(plivo_settings, redis_client, message,
                                                                          register_farmer, booted, sessions):
    register_farmer(phone=FARMER, locale="en")
    down = _down(plivo_settings, redis_client)
    answered = post(down, SMS_URL, inbound_sms("onion price nashik", uuid="3f1e0c2a-42f4-11f0-b5a1-0242ac110002"))
    assert answered.status_code == 200 and answered.mimetype == "application/xml"
    assert post(down, STATUS_URL, delivery_report("failed", uuid=SENT_UUID, error="200")).status_code == 200
    assert waiting(redis_client) == 2

    assert booted[1].tasks["workers.spool.replay_webhooks"]() == 2
    assert waiting(redis_client) == 0
    with sessions() as db:
        inbound = db.scalar(select(InboundMessage))
        reply = db.scalar(select(OutboundMessage).where(OutboundMessage.purpose == "reply"))
    assert (inbound.provider, inbound.phone, inbound.intent) == ("plivo", FARMER, "market_price")
    assert reply.phone == FARMER and "Onion" in reply.body and reply.template_id  # answered by SMS, via the outbox
    assert _row(sessions, message)[0] == "failed" and _opted_out(sessions) is True


def test_with_redis_down_too_plivo_gets_503(plivo_settings):
    down = make_engine("postgresql://postgres@127.0.0.1:1/nowhere")
    app = create_app(plivo_settings, backends=Backends(engine=down, sessions=make_sessionmaker(down),
                                                       redis=unreachable_redis()))
    client = app.test_client()
    assert post(client, SMS_URL, inbound_sms("kanda bhav")).status_code == 503
    assert post(client, STATUS_URL, delivery_report("delivered", uuid=SENT_UUID)).status_code == 503


def test_without_an_auth_token_nothing_is_read(settings, backends, sessions):
    app = create_app(replace(settings, public_base_url=PUBLIC), backends=backends, today=lambda: SEED_DAY)
    assert post(app.test_client(), SMS_URL, inbound_sms("help"), token=TOKEN).status_code == 403
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(InboundMessage)) == 0
