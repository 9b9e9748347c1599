"""Queue an SMS: write the outbox row in the caller's transaction; the send task goes out after it commits."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from farmdb.db import after_commit
from farmdb.models import OutboundMessage
from farmdb.models.messages import CATEGORIES
from workers.sms_encoding import measure


def queue_sms(session: Session, *, phone: str, body: str, locale: str, category: str, purpose: str,
              idempotency_key: str, farmer_id: int | None = None, template_id: str | None = None) -> OutboundMessage:
    """Idempotent on `idempotency_key`: queuing the same cause twice returns the first row and sends nothing more."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown SMS category {category!r}")
    existing = session.scalar(select(OutboundMessage).where(OutboundMessage.idempotency_key == idempotency_key))
    if existing is not None:
        return existing
    length = measure(body)
    message = OutboundMessage(
        idempotency_key=idempotency_key, phone=phone, farmer_id=farmer_id, body=body, locale=locale,
        category=category, purpose=purpose, template_id=template_id, encoding=length.encoding,
        segments=length.segments, status="queued", attempts=0,
    )
    try:
        with session.begin_nested():  # a racing twin may insert the same key first: then use its row
            session.add(message)
    except IntegrityError:
        return session.scalar(select(OutboundMessage).where(OutboundMessage.idempotency_key == idempotency_key))
    from workers.tasks import send_sms
    message_id = message.id
    after_commit(session, lambda: send_sms.delay(message_id))
    return message
