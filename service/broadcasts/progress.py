"""A broadcast's progress and totals, counted from its outbox rows: what the CLI prints and the API returns."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from farmdb.models import Broadcast, OutboundMessage
from farmdb.types import utcnow


def status(db: Session, broadcast_id: int, now: datetime | None = None) -> dict | None:
    """Progress and totals, counted from the broadcast's outbox rows."""
    broadcast = db.get(Broadcast, broadcast_id)
    if broadcast is None:
        return None
    now = now or utcnow()
    by_status = dict(db.execute(select(OutboundMessage.status, func.count())
                                .where(OutboundMessage.broadcast_id == broadcast_id)
                                .group_by(OutboundMessage.status)).all())
    waiting = db.scalar(select(func.count()).where(
        OutboundMessage.broadcast_id == broadcast_id, OutboundMessage.status == "queued",
        OutboundMessage.send_after > now))
    cost = db.execute(select(func.sum(OutboundMessage.cost), func.max(OutboundMessage.cost_currency))
                      .where(OutboundMessage.broadcast_id == broadcast_id)).one()
    counts = {s: by_status.get(s, 0) for s in ("queued", "sending", "sent", "delivered", "undelivered", "failed",
                                               "cancelled")}
    return {
        "id": broadcast.id, "kind": broadcast.kind, "key": broadcast.key, "category": broadcast.category,
        "audience": broadcast.audience, "advisory_id": broadcast.advisory_id, "status": broadcast.status,
        "created_by": broadcast.created_by, "created_at": broadcast.created_at.isoformat(),
        "dispatched_at": broadcast.dispatched_at.isoformat() if broadcast.dispatched_at else None,
        "recipients": broadcast.recipients, "segments": broadcast.segments,
        "estimated_cost": str(broadcast.estimated_cost or 0), "currency": broadcast.currency,
        "counts": counts, "waiting_for_window": waiting,
        "finished": counts["queued"] + counts["sending"] == 0,
        "cost": str(cost[0]) if cost[0] is not None else None, "cost_currency": cost[1],
    }
