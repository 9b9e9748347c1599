"""The outbox sweeper (beat, every minute): nothing waits forever, nothing is lost.

A task can be lost after its row committed: the broker restarted without persistence, publishing failed after the
commit, an in-process send failed in a retryable way. Rows wait in their windows by design. The sweeper
- releases rows whose window has opened,
- re-queues rows still "queued" OUTBOX_SWEEP_AFTER seconds after they were last touched,
- re-queues rows "sending" for longer than SENDING_STALE,
each with one UPDATE ... RETURNING, so two sweepers never publish the same row twice in one pass.

A row stuck in "sending" is one whose worker died waiting for the provider's answer to its request. The send path
records every request's answer as it comes (workers.sending), so these are the rows of at most one request per dead
worker process, and nobody can tell whether the provider took them: they are sent again, said in last_error and the
log. That is the one window of duplicates; giving them up instead would lose those the provider never got.

It also queues again, once, the call-back of a missed call whose task was lost: a ring older than
OUTBOX_SWEEP_AFTER with no call-back logged for that number since, and no call-back claimed for it in Redis.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import aliased

from farmdb.models import Broadcast, CallLog
from farmdb.models import OutboundMessage as M
from farmdb.types import utcnow
from service.tasks import CALL_BACK, SEND_SMS
from service.simulated_phones import is_simulated
from workers.registry import ServiceTask, TaskList
from workers.sending import CHUNK, SENDING_STALE
from workers.tasks import SEND_BULK

log = logging.getLogger(__name__)

SWEEP_OUTBOX = "workers.sweeper.sweep_outbox"
BATCH = 5000  # rows per pass and kind; the next minute takes the rest

TASKS = TaskList()


@TASKS.task(SWEEP_OUTBOX)
def sweep_outbox(task: ServiceTask, now: str | None = None) -> dict[str, int]:
    settings, backends = task.service.settings, task.service.backends
    now_at = datetime.fromisoformat(now) if now else utcnow()
    waiting = M.status == "queued", M.provider_message_id.is_(None)
    stale = now_at - timedelta(seconds=settings.outbox_sweep_after)
    kinds = {
        "released": and_(*waiting, M.send_after.is_not(None), M.send_after <= now_at),
        "requeued": and_(*waiting, M.send_after.is_(None), M.updated_at < stale, or_(
            M.broadcast_id.is_(None),
            # A big broadcast's rows wait their turn in the broker for minutes: only a stalled one is re-queued.
            select(Broadcast.id).where(Broadcast.id == M.broadcast_id, or_(
                Broadcast.progress_at.is_(None), Broadcast.progress_at < stale)).exists())),
        "resent": and_(M.status == "sending", M.provider_message_id.is_(None),
                       M.updated_at < now_at - SENDING_STALE),
    }
    counts = {}
    for kind, where in kinds.items():
        rows = _take(backends, where, now_at, kind)
        counts[kind] = len(rows)
        _publish(task.app, rows)
        if rows and kind == "resent":
            log.warning("outbox sweeper resent %d SMS whose worker died waiting for the provider (they may arrive "
                        "twice)", len(rows))
        elif rows and kind != "released":
            log.warning("outbox sweeper %s %d SMS", kind, len(rows))
    counts["call_backs"] = _lost_call_backs(task, now_at, stale)
    return counts


def _lost_call_backs(task: ServiceTask, now: datetime, stale: datetime) -> int:
    settings, backends = task.service.settings, task.service.backends
    ring, later = aliased(CallLog), aliased(CallLog)
    with backends.sessions() as session:
        rings = session.execute(
            select(ring.id, ring.phone).where(
                ring.kind == "missed_call", ring.created_at < stale,
                ring.created_at > now - timedelta(seconds=settings.callback_period),
                ~select(later.id).where(later.kind == "callback", later.phone == ring.phone,
                                        later.created_at >= ring.created_at).exists())
            .order_by(ring.id).limit(BATCH)).all()
    requeued = 0
    for ring_id, phone in rings:
        if is_simulated(settings, phone):
            continue  # the console's phone: never called back
        if backends.redis.exists(f"callback:{phone}"):
            continue  # being called back, or was within the period
        # Once per ring: if this try fails too, the farmer's next ring tries again.
        if backends.redis.set(f"callback:swept:{ring_id}", 1, nx=True, ex=settings.callback_period):
            task.app.tasks[CALL_BACK].delay(ring_id)
            requeued += 1
    if requeued:
        log.warning("outbox sweeper queued %d lost call-back(s) again", requeued)
    return requeued


def _take(backends, where, now: datetime, kind: str) -> list[tuple[int, int | None]]:
    """Mark up to BATCH rows as just touched (and "queued") and return (id, broadcast_id) of each."""
    values = {"updated_at": now, "send_after": None, "status": "queued"}
    if kind == "resent":
        values["last_error"] = "its worker was lost while sending; sent again (the provider may have had it)"
    with backends.sessions() as session, session.begin():
        ids = select(M.id).where(where).order_by(M.id).limit(BATCH).with_for_update(skip_locked=True)
        return [tuple(r) for r in session.execute(
            update(M).where(M.id.in_(ids.scalar_subquery())).values(**values)
            .returning(M.id, M.broadcast_id).execution_options(synchronize_session=False))]


def _publish(app, rows: list[tuple[int, int | None]]) -> None:
    send_sms, send_bulk = app.tasks[SEND_SMS], app.tasks[SEND_BULK]
    broadcasts: dict[int, list[int]] = {}
    for message_id, broadcast_id in sorted(rows):
        if broadcast_id is None:
            send_sms.delay(message_id)
        else:
            broadcasts.setdefault(broadcast_id, []).append(message_id)
    for broadcast_id, ids in broadcasts.items():
        for start in range(0, len(ids), CHUNK):
            send_bulk.delay(ids[start:start + CHUNK], broadcast_id)

