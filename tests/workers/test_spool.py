"""Twilio's SMS and delivery reports that arrived while the database was away: kept in Redis, then replayed by the
`replay-webhooks` job once it is back, through the same code, with nothing lost and nothing done twice."""
from dataclasses import replace

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from farmdb.db import make_engine, make_sessionmaker
from farmdb.models import Farmer, InboundMessage, OutboundMessage
from gateway import create_app
from service.connections import Backends
from service.outbox import queue_sms
from service.spool import BAD_KEY, KEY, forget, park, replay, waiting
from tests.conftest import SEED_DAY

TOKEN = "7c1f0a9d2b3e4f5a6b7c8d9e0f1a2b3c"
FARMER = "+919812345678"
SENT_SID = "SM" + "5" * 32


def _signed(client, path: str, form: dict):
    signature = RequestValidator(TOKEN).compute_signature(f"http://localhost{path}", form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


@pytest.fixture
def database_down(settings, redis_client):
    down = make_engine("postgresql://postgres@127.0.0.1:1/nowhere")
    app = create_app(replace(settings, twilio_auth_token=TOKEN),
                     backends=Backends(engine=down, sessions=make_sessionmaker(down), redis=redis_client),
                     today=lambda: SEED_DAY)
    return app.test_client()


@pytest.fixture
def sent_message(service, sessions, register_farmer):
    register_farmer(phone=FARMER, locale="en")
    with sessions() as db, db.begin():
        message_id = queue_sms(service, db, phone=FARMER, body="Kheti Sahayak: rain in Nashik tomorrow.",
                               locale="en", category="service_implicit", purpose="advisory",
                               idempotency_key="test:spool:1").id
    with sessions() as db, db.begin():
        row = db.get(OutboundMessage, message_id)
        row.provider, row.provider_message_id, row.status = "twilio", SENT_SID, "sent"
    return message_id


def test_what_twilio_sent_during_the_outage_is_replayed_once_the_database_is_back(
        database_down, sent_message, booted, sessions, redis_client):
    sms = {"MessageSid": "SM" + "a" * 32, "AccountSid": "AC" + "b" * 32, "From": FARMER, "To": "+15005550006",
           "Body": "onion price nashik", "NumMedia": "0"}
    answered = _signed(database_down, "/twilio/sms", sms)
    assert answered.status_code == 200 and "<Message>" not in answered.get_data(as_text=True)
    report = {"MessageSid": SENT_SID, "MessageStatus": "undelivered", "ErrorCode": "21610", "To": FARMER,
              "AccountSid": "AC" + "b" * 32}
    assert _signed(database_down, "/twilio/sms/status", report).status_code == 204
    assert waiting(redis_client) == 2

    worker_app = booted[1]
    assert worker_app.tasks["workers.spool.replay_webhooks"]() == 2
    assert waiting(redis_client) == 0
    with sessions() as db:
        inbound = db.scalar(select(InboundMessage).where(InboundMessage.provider_message_id == sms["MessageSid"]))
        assert inbound is not None and inbound.intent == "market_price"
        reply = db.scalar(select(OutboundMessage).where(OutboundMessage.purpose == "reply"))
        assert reply.phone == FARMER and "Onion" in reply.body  # its inline answer went unsaid: sent by SMS
        assert db.get(OutboundMessage, sent_message).status == "undelivered"
        assert db.scalar(select(Farmer.sms_opted_out).where(Farmer.phone == FARMER)) is True

    # Replayed again (the strike-off was lost): the same SMS is known by its id and answered once.
    park(redis_client, "inbound_sms", {"provider": "twilio", "provider_message_id": sms["MessageSid"],
                                       "phone": FARMER, "to": None, "text": sms["Body"]})
    assert worker_app.tasks["workers.spool.replay_webhooks"]() == 1
    with sessions() as db:
        assert len(db.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "reply")).all()) == 1


def test_an_entry_stays_first_while_the_outage_lasts_and_a_broken_one_is_set_aside(redis_client):
    redis_client.rpush(KEY, b"{not json")
    park(redis_client, "inbound_sms", {"renamed_field": 1})  # a bug, not an outage
    park(redis_client, "delivery_report", {"provider": "twilio"})

    def still_down(fields):
        raise ConnectionError("the database is still away")

    def broken(fields):
        raise TypeError("unexpected keyword argument 'renamed_field'")
    with pytest.raises(ConnectionError):
        replay(redis_client, {"delivery_report": still_down, "inbound_sms": broken}, outages=(ConnectionError,))
    assert len(redis_client.lrange(BAD_KEY, 0, -1)) == 2  # the unreadable one and the broken one, not lost
    assert waiting(redis_client) == 1  # still there, for the next run
    assert replay(redis_client, {"delivery_report": lambda fields: None}) == 1 and waiting(redis_client) == 0


def test_an_erasure_takes_the_numbers_parked_webhooks_with_it(redis_client):
    park(redis_client, "inbound_sms", {"phone": FARMER, "text": "DELETE"})
    park(redis_client, "inbound_sms", {"phone": "+919822222222", "text": "onion price"})
    assert forget(redis_client, FARMER) == 1
    assert waiting(redis_client) == 1
