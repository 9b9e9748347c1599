"""Dispatching a broadcast: its waiting outbox rows handed to sms.bulk in chunks, once the rows are committed
(service.broadcasts makes them and asks for this). And the recurring campaigns, made when due (workers.beat)."""
from __future__ import annotations

from sqlalchemy import or_, select, update

from farmdb.models import Broadcast, OutboundMessage
from farmdb.types import utcnow
from service.tasks import DISPATCH_BROADCAST
from service.broadcasts import campaigns
from workers.registry import ServiceTask, TaskList
from workers.sending import CHUNK
from workers.tasks import SEND_BULK

RUN_CAMPAIGNS = "workers.broadcasts.run_campaigns"

TASKS = TaskList()


@TASKS.task(RUN_CAMPAIGNS)
def run_campaigns(task: ServiceTask) -> dict[str, int]:
    """Every campaign due now gets its broadcast (service.broadcasts.campaigns)."""
    return campaigns.run_due(task.service)


@TASKS.task(DISPATCH_BROADCAST)
def dispatch_broadcast(task: ServiceTask, broadcast_id: int) -> int:
    """Hand a broadcast's waiting rows to sms.bulk in chunks. Rows held for their window are left to the sweeper,
    which releases them when it opens; running this twice only publishes chunks the send tasks will find done."""
    backends, send_bulk = task.service.backends, task.app.tasks[SEND_BULK]
    now = utcnow()
    with backends.sessions() as db, db.begin():
        db.execute(update(Broadcast).where(Broadcast.id == broadcast_id)
                   .values(status="dispatched", dispatched_at=now, progress_at=now))
    published = 0
    with backends.sessions() as db:
        ids = db.scalars(
            select(OutboundMessage.id).where(
                OutboundMessage.broadcast_id == broadcast_id, OutboundMessage.status == "queued",
                OutboundMessage.provider_message_id.is_(None),
                or_(OutboundMessage.send_after.is_(None), OutboundMessage.send_after <= now))
            .order_by(OutboundMessage.id).execution_options(yield_per=CHUNK))
        for chunk in ids.partitions(CHUNK):
            send_bulk.delay(list(chunk), broadcast_id)
            published += len(chunk)
    return published
