"""Broadcasts as the console lists and steers them: one page of them with their progress counted in one query,
why the failed ones failed (the provider's words), and cancelling what has not yet gone to a provider."""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from farmdb.models import Broadcast, OutboundMessage
from farmdb.types import utcnow

STATUSES = ("queued", "sending", "sent", "delivered", "undelivered", "failed", "cancelled")


def page(db: Session, *, page: int = 1, per_page: int = 25, kind: str | None = None) -> tuple[list[dict], int]:
    """The newest broadcasts first, each with its counts by status; and how many there are in all."""
    query = select(Broadcast).order_by(Broadcast.id.desc())
    if kind:
        query = query.where(Broadcast.kind == kind)
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    counts: dict[int, dict[str, int]] = {b.id: dict.fromkeys(STATUSES, 0) for b in rows}
    if rows:
        for broadcast_id, status, count in db.execute(
                select(OutboundMessage.broadcast_id, OutboundMessage.status, func.count())
                .where(OutboundMessage.broadcast_id.in_(list(counts)))
                .group_by(OutboundMessage.broadcast_id, OutboundMessage.status)):
            counts[broadcast_id][status] = count
    return [{"broadcast": b, "counts": counts[b.id], "state": state(b, counts[b.id])} for b in rows], total


def state(broadcast: Broadcast, counts: dict[str, int]) -> str:
    """scheduled | sending | finished | cancelled, as a person would say where it is."""
    if broadcast.cancelled_at:
        return "cancelled"
    if counts["queued"] + counts["sending"] == 0:
        return "finished"
    if broadcast.scheduled_for and broadcast.scheduled_for > utcnow() and not (counts["sent"] or counts["delivered"]):
        return "scheduled"
    return "sending"


def failures(db: Session, broadcast_id: int) -> list[tuple[str, int]]:
    """Why its messages failed, in the provider's words (or our rules'), most common first."""
    return [(reason or "no reason given", count) for reason, count in db.execute(
        select(OutboundMessage.last_error, func.count().label("n"))
        .where(OutboundMessage.broadcast_id == broadcast_id, OutboundMessage.status.in_(("failed", "undelivered")))
        .group_by(OutboundMessage.last_error).order_by(func.count().desc()).limit(20))]


def cancel(db: Session, broadcast_id: int, by: str) -> int:
    """Cancel every row not yet handed to a provider (queued, no provider id: a row being sent right now is
    "sending" and goes; nothing is sent twice and nothing sent is unsaid). Returns how many were cancelled."""
    broadcast = db.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None:
        raise LookupError(f"no broadcast {broadcast_id}")
    now = utcnow()
    result = db.execute(
        update(OutboundMessage)
        .where(OutboundMessage.broadcast_id == broadcast_id, OutboundMessage.status == "queued",
               OutboundMessage.provider_message_id.is_(None))
        .values(status="cancelled", last_error=f"broadcast cancelled by {by}", updated_at=now)
        .execution_options(synchronize_session=False))
    if broadcast.cancelled_at is None:
        broadcast.cancelled_at, broadcast.cancelled_by, broadcast.status = now, by, "cancelled"
    return result.rowcount
