"""Tasks carry ids, not objects: the row is read fresh, under a lock, when the task runs."""
from __future__ import annotations

import logging
import random

from sqlalchemy import select

from farmdb.models import OutboundMessage
from farmdb.types import utcnow
from workers import runtime
from workers.celery_app import celery
from workers.senders import PermanentSendError, RetryableSendError, sender_for

log = logging.getLogger(__name__)

# Provider calls per message: the first and up to MAX_RETRIES more (counted on the row, so a sweeper's re-queue of a
# row does not start the count again).
MAX_RETRIES = 5


def retry_delay(attempts: int) -> float:
    """Seconds before the next try: 10, 20, 40, 80, 160 (capped at 300), each +-20% so a provider's outage does not
    bring every waiting message back in the same second."""
    return min(300, 2 ** attempts * 5) * random.uniform(0.8, 1.2)


@celery.task(bind=True, name="workers.tasks.send_sms", max_retries=MAX_RETRIES)
def send_sms(self, message_id: int) -> str:
    """Send one queued outbox row at most once: a second run of the same task finds it no longer queued.

    A retryable failure puts the row back to "queued" with last_error and, in a worker, retries the task later. Run
    in-process (the embedded default's eager tasks, or called directly) it does not retry: an eager retry raises
    Retry into the web request that queued the message (task_eager_propagates), and Celery's apply() would otherwise
    re-run it at once, ignoring the countdown. The row stays queued, with last_error, for the outbox sweeper.
    A permanent failure, or the last retryable one, marks the row "failed" and keeps the reason in last_error.
    """
    settings, backends = runtime.current()
    with backends.sessions() as session, session.begin():
        message = session.scalar(
            select(OutboundMessage).where(OutboundMessage.id == message_id).with_for_update()
        )
        if message is None:
            log.warning("outbox row vanished before sending", extra={"outbound_id": message_id})
            return "missing"
        # A row with a provider id was handed over already, even if the provider said "queued".
        if message.status != "queued" or message.provider_message_id is not None:
            return message.status
        message.status, message.attempts = "sending", message.attempts + 1
        attempts = message.attempts
    # The row says "sending" before the provider is called: a crash from here on is the at-least-once window.
    try:
        receipt = sender_for(settings).send(message)
    except RetryableSendError as exc:
        return _retry_later(self, backends, message_id, attempts, exc)
    except PermanentSendError as exc:
        return _give_up(backends, message_id, exc.reason)
    except Exception as exc:  # a sender bug: the provider may have the message, so never try again blindly
        log.exception("SMS sender failed unexpectedly", extra={"outbound_id": message_id})
        return _give_up(backends, message_id, f"unexpected {type(exc).__name__}: {exc}")
    with backends.sessions() as session, session.begin():
        message = session.get(OutboundMessage, message_id, with_for_update=True)
        if message.status != "sending":  # changed meanwhile (the farmer was erased): theirs is the last word
            return message.status
        message.provider, message.provider_message_id = receipt.provider, receipt.provider_message_id
        message.status, message.provider_status = receipt.status, receipt.provider_status
        message.cost, message.cost_currency = receipt.cost, receipt.cost_currency
        message.sent_at = utcnow()
    return receipt.status


def _retry_later(task, backends, message_id: int, attempts: int, exc: RetryableSendError) -> str:
    if attempts > MAX_RETRIES:
        log.warning("SMS failed after %d attempts: %s", attempts, exc.reason, extra={"outbound_id": message_id})
        return _give_up(backends, message_id, exc.reason)
    with backends.sessions() as session, session.begin():
        message = session.get(OutboundMessage, message_id, with_for_update=True)
        if message.status != "sending":
            return message.status
        message.status, message.last_error = "queued", exc.reason
    if task.request.is_eager or task.request.called_directly:
        log.warning("SMS not sent, left queued for a later try: %s", exc.reason, extra={"outbound_id": message_id})
        return "queued"
    log.info("SMS not sent, retrying: %s", exc.reason, extra={"outbound_id": message_id})
    raise task.retry(countdown=retry_delay(attempts), max_retries=MAX_RETRIES, exc=exc)


def _give_up(backends, message_id: int, reason: str) -> str:
    with backends.sessions() as session, session.begin():
        message = session.get(OutboundMessage, message_id, with_for_update=True)
        if message.status != "sending":
            return message.status
        message.status, message.last_error = "failed", reason
    return "failed"
