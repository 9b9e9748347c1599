"""Tasks carry ids, not objects: the row is read fresh, under a lock, when the task runs."""
from __future__ import annotations

import logging

from sqlalchemy import select

from farmdb.models import OutboundMessage
from farmdb.types import utcnow
from workers import runtime
from workers.celery_app import celery
from workers.senders import sender_for

log = logging.getLogger(__name__)


@celery.task(name="workers.tasks.send_sms")
def send_sms(message_id: int) -> str:
    """Send one queued outbox row at most once: a second run of the same task finds it no longer queued."""
    settings, backends = runtime.current()
    with backends.sessions() as session, session.begin():
        message = session.scalar(
            select(OutboundMessage).where(OutboundMessage.id == message_id).with_for_update()
        )
        if message is None:
            log.warning("outbox row vanished before sending", extra={"outbound_id": message_id})
            return "missing"
        if message.status != "queued":
            return message.status
        message.status, message.attempts = "sending", message.attempts + 1
    # The row says "sending" before the provider is called: a crash from here on is the at-least-once window.
    receipt = sender_for(settings).send(message)
    with backends.sessions() as session, session.begin():
        message = session.get(OutboundMessage, message_id)
        message.provider, message.provider_message_id = receipt.provider, receipt.provider_message_id
        message.status, message.provider_status = receipt.status, receipt.provider_status
        message.cost, message.cost_currency = receipt.cost, receipt.cost_currency
        message.sent_at = utcnow()
    return receipt.status
