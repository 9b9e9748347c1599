"""Sending tasks. They carry row ids, not objects: each row is read fresh, under a lock, when the task runs."""
from __future__ import annotations

import logging
from collections import defaultdict

from sqlalchemy import update

from farmdb.models import Broadcast
from farmdb.types import utcnow
from service.tasks import SEND_SMS
from workers.registry import OUTAGES, ServiceTask, TaskList
from workers.sending import MAX_RETRIES, Outcome, retry_delay, send_batch

log = logging.getLogger(__name__)

SEND_BULK = "workers.tasks.send_bulk"
# In-process (the embedded default, or tests) a throttled task waits this long at most before leaving rows queued.
INLINE_THROTTLE_WAIT = 5.0

TASKS = TaskList()


@TASKS.task(SEND_SMS, queue="sms.priority", max_retries=MAX_RETRIES, **OUTAGES)
def send_sms(task: ServiceTask, message_id: int) -> str:
    """Send one queued outbox row (a reply, a receipt) at most once; returns the row's status afterwards.

    A retryable failure puts the row back to "queued" with last_error and, in a worker, retries the task later. Run
    in-process (the embedded default's eager tasks, or called directly) it does not retry: an eager retry raises
    Retry into the web request that queued the message, and Celery's apply() would otherwise re-run it at once,
    ignoring the countdown. The row stays queued, with last_error, for the outbox sweeper.
    """
    outcome = _send_in_turn(task, [message_id])
    if outcome.throttled:
        task.apply_async((message_id,), countdown=outcome.wait)
        return "throttled"
    if outcome.left:  # the worker is stopping: another one sends it
        task.apply_async((message_id,))
        return "queued"
    status = outcome.statuses.get(message_id, "missing")
    if message_id in outcome.retry and not task.in_process:
        raise task.retry(countdown=retry_delay(outcome.retry[message_id]), max_retries=MAX_RETRIES)
    return status


@TASKS.task(SEND_BULK, queue="sms.bulk", max_retries=MAX_RETRIES, **OUTAGES)
def send_bulk(task: ServiceTask, message_ids: list[int], broadcast_id: int | None = None) -> dict[str, int]:
    """Send a chunk of a broadcast. Rows over the provider's allowance and rows that failed in a retryable way go
    back on the bulk queue, later; rows not tried because the worker is stopping go back at once, for another
    worker. A count of statuses is returned for the logs."""
    outcome = _send_in_turn(task, list(message_ids))
    if not task.in_process:
        if outcome.throttled:
            task.apply_async((outcome.throttled, broadcast_id), countdown=outcome.wait)
        if outcome.left:
            task.apply_async((outcome.left, broadcast_id))
        by_attempts = defaultdict(list)
        for message_id, attempts in outcome.retry.items():
            by_attempts[attempts].append(message_id)
        for attempts, ids in by_attempts.items():
            task.apply_async((ids, broadcast_id), countdown=retry_delay(attempts))
    if broadcast_id is not None:
        with task.service.backends.engine.begin() as conn:
            conn.execute(update(Broadcast).where(Broadcast.id == broadcast_id).values(progress_at=utcnow()))
    counts: dict[str, int] = defaultdict(int)
    for status in outcome.statuses.values():
        counts[status] += 1
    return dict(counts)


def _send_in_turn(task: ServiceTask, ids: list[int]) -> Outcome:
    """In a worker, a throttled remainder is the caller's to reschedule. In-process there is nobody to hand it to,
    so wait for the allowance here (briefly); what is still over it stays queued for the sweeper."""
    service = task.service
    outcome = send_batch(service, ids, stopping=task.app.shutdown.asked)
    if not task.in_process:
        return outcome
    waited = 0.0
    while outcome.throttled and waited < INLINE_THROTTLE_WAIT:
        service.clock.sleep(outcome.wait)
        waited += outcome.wait
        later = send_batch(service, outcome.throttled)
        outcome.statuses.update(later.statuses)
        outcome.retry.update(later.retry)
        outcome.throttled, outcome.wait = later.throttled, later.wait
    if outcome.throttled:
        log.warning("%d SMS left queued over the rate limit", len(outcome.throttled))
        outcome.throttled = []
    return outcome
