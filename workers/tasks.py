"""Sending tasks. They carry row ids, not objects: each row is read fresh, under a lock, when the task runs."""
from __future__ import annotations

import logging
import time
from collections import defaultdict

from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from farmdb.models import Broadcast
from farmdb.types import utcnow
from workers import runtime
from workers.celery_app import celery
from workers.sending import MAX_RETRIES, Outcome, retry_delay, send_batch

log = logging.getLogger(__name__)

# In-process (the embedded default, or tests) a throttled task waits this long at most before leaving rows queued.
_INLINE_THROTTLE_WAIT = 5.0

__all__ = ["MAX_RETRIES", "retry_delay", "send_bulk", "send_sms"]


# PostgreSQL or Redis unreachable: the task is tried again with growing pauses, and if it still cannot run the
# rows wait, queued, for the sweeper. Nothing was claimed, so nothing was sent.
OUTAGES = dict(autoretry_for=(OperationalError, RedisConnectionError), retry_backoff=5, retry_backoff_max=300,
               retry_jitter=True)


@celery.task(bind=True, name="workers.tasks.send_sms", max_retries=MAX_RETRIES, **OUTAGES)
def send_sms(self, message_id: int) -> str:
    """Send one queued outbox row (a reply, a receipt) at most once; returns the row's status afterwards.

    A retryable failure puts the row back to "queued" with last_error and, in a worker, retries the task later. Run
    in-process (the embedded default's eager tasks, or called directly) it does not retry: an eager retry raises
    Retry into the web request that queued the message, and Celery's apply() would otherwise re-run it at once,
    ignoring the countdown. The row stays queued, with last_error, for the outbox sweeper.
    """
    settings, backends = runtime.current()
    outcome = _send_in_turn(self, settings, backends, [message_id])
    if outcome.throttled:
        send_sms.apply_async((message_id,), countdown=outcome.wait)
        return "throttled"
    status = outcome.statuses.get(message_id, "missing")
    if message_id in outcome.retry and not _in_process(self):
        raise self.retry(countdown=retry_delay(outcome.retry[message_id]), max_retries=MAX_RETRIES)
    return status


@celery.task(bind=True, name="workers.tasks.send_bulk", max_retries=MAX_RETRIES, **OUTAGES)
def send_bulk(self, message_ids: list[int], broadcast_id: int | None = None) -> dict[str, int]:
    """Send a chunk of a broadcast. Rows over the provider's allowance and rows that failed in a retryable way go
    back on the bulk queue, later; a count of statuses is returned for the logs."""
    settings, backends = runtime.current()
    outcome = _send_in_turn(self, settings, backends, list(message_ids))
    if not _in_process(self):
        if outcome.throttled:
            send_bulk.apply_async((outcome.throttled, broadcast_id), countdown=outcome.wait)
        by_attempts = defaultdict(list)
        for message_id, attempts in outcome.retry.items():
            by_attempts[attempts].append(message_id)
        for attempts, ids in by_attempts.items():
            send_bulk.apply_async((ids, broadcast_id), countdown=retry_delay(attempts))
    if broadcast_id is not None:
        with backends.engine.begin() as conn:
            conn.execute(update(Broadcast).where(Broadcast.id == broadcast_id).values(progress_at=utcnow()))
    counts: dict[str, int] = defaultdict(int)
    for status in outcome.statuses.values():
        counts[status] += 1
    return dict(counts)


def _in_process(task) -> bool:
    return bool(task.request.is_eager or task.request.called_directly)


def _send_in_turn(task, settings, backends, ids: list[int]) -> Outcome:
    """In a worker, a throttled remainder is the caller's to reschedule. In-process there is nobody to hand it to,
    so wait for the allowance here (briefly); what is still over it stays queued for the sweeper."""
    outcome = send_batch(settings, backends, ids)
    if not _in_process(task):
        return outcome
    waited = 0.0
    while outcome.throttled and waited < _INLINE_THROTTLE_WAIT:
        time.sleep(outcome.wait)
        waited += outcome.wait
        later = send_batch(settings, backends, outcome.throttled)
        outcome.statuses.update(later.statuses)
        outcome.retry.update(later.retry)
        outcome.throttled, outcome.wait = later.throttled, later.wait
    if outcome.throttled:
        log.warning("%d SMS left queued over the rate limit", len(outcome.throttled))
        outcome.throttled = []
    return outcome
