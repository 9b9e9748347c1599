"""The outbox: a message is written with the change that causes it, sent only after that commits, and only once."""
import logging

import pytest
from sqlalchemy import select

from farmdb.models import OutboundMessage
from service.outbox import queue_sms

PHONE = "+919812345678"


@pytest.fixture
def queue(service):
    """A reply queued as the gateway queues one; its send task runs in-process (the embedded default)."""
    def queue(session, key="test:1", body="Kheti Sahayak: Kal barish ho sakti hai. Chhidkav na karein.", **kw):
        return queue_sms(service, session, phone=PHONE, body=body, locale="hi", category="service_implicit",
                         purpose="reply", idempotency_key=key, **kw)
    return queue


def test_a_committed_message_is_sent_by_the_console_sender_and_logged_masked(sessions, caplog, queue):
    caplog.set_level(logging.INFO, logger="kheti.sms.console")
    with sessions() as session, session.begin():
        message_id = queue(session).id
    with sessions() as session:
        message = session.get(OutboundMessage, message_id)
        assert (message.status, message.provider, message.provider_message_id) == \
            ("sent", "console", f"console-{message_id}")
        assert (message.encoding, message.segments, message.attempts) == ("GSM-7", 1, 1)
        assert message.sent_at is not None
    [record] = [r for r in caplog.records if r.name == "kheti.sms.console"]
    from service.logs import JsonFormatter
    line = JsonFormatter().format(record)
    assert "+91******5678" in line and "9812345678" not in line and "Kal barish" in line


def test_nothing_is_sent_for_work_that_rolled_back(sessions, caplog, queue):
    caplog.set_level(logging.INFO, logger="kheti.sms.console")
    with sessions() as session:
        session.begin()
        queue(session)
        session.rollback()
    with sessions() as session:
        assert session.scalars(select(OutboundMessage)).all() == []
    assert not [r for r in caplog.records if r.name == "kheti.sms.console"]


def test_the_same_cause_queues_one_message(sessions, caplog, queue):
    caplog.set_level(logging.INFO, logger="kheti.sms.console")
    with sessions() as session, session.begin():
        first = queue(session, key="receipt:payment:42").id
    with sessions() as session, session.begin():
        second = queue(session, key="receipt:payment:42", body="a different body").id
    assert first == second
    assert len([r for r in caplog.records if r.name == "kheti.sms.console"]) == 1


def test_a_task_that_runs_twice_sends_once(sessions, caplog, queue, tasks):
    caplog.set_level(logging.INFO, logger="kheti.sms.console")
    with sessions() as session, session.begin():
        message_id = queue(session).id
    assert tasks.send_sms(message_id) == "sent"  # the redelivered task finds the row already sent
    assert len([r for r in caplog.records if r.name == "kheti.sms.console"]) == 1
    with sessions() as session:
        assert session.get(OutboundMessage, message_id).attempts == 1


def test_devanagari_is_stored_as_ucs2_with_its_segments(sessions, queue):
    body = "प्याज का भाव लासलगांव में आज ₹1,850 प्रति क्विंटल है। कल बारिश की संभावना है, कटाई रोक दें।"
    with sessions() as session, session.begin():
        message_id = queue(session, body=body).id
    with sessions() as session:
        message = session.get(OutboundMessage, message_id)
        assert (message.encoding, message.segments) == ("UCS-2", 2)
        assert message.body == body


def test_an_unknown_category_is_refused(db, service):
    with pytest.raises(ValueError, match="unknown SMS category"):
        queue_sms(service, db, phone=PHONE, body="x", locale="en", category="spam", purpose="reply", idempotency_key="k")
