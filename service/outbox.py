"""Queue an SMS: write the outbox row in the caller's transaction; the send task goes out after it commits.

The message rules are applied here, once, so every caller gets them: segments and estimated cost by encoding; a
message to an Indian number must match a registered DLT template (else it is refused, with the reason on the row);
an opted-out farmer gets no advisory; a windowed category outside its hours waits for the window (the sweeper
releases it). Broadcasts apply the same rules to their bulk rows in service.broadcasts.
"""
from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dialogs.encoding import measure
from farmdb.db import after_commit
from farmdb.models import Farmer, OutboundMessage
from farmdb.models.messages import CATEGORIES
from farmdb.types import utcnow
from service import dlt
from service.context import Service
from service.send_windows import next_send_time
from service.simulated_phones import NOT_SENT, is_simulated
from service.settings import Settings

log = logging.getLogger(__name__)


def queue_sms(service: Service, session: Session, *, phone: str, body: str, locale: str, category: str, purpose: str,
              idempotency_key: str, farmer_id: int | None = None, now: datetime | None = None) -> OutboundMessage:
    """Idempotent on `idempotency_key`: queuing the same cause twice returns the first row and sends nothing more."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown SMS category {category!r}")
    existing = session.scalar(select(OutboundMessage).where(OutboundMessage.idempotency_key == idempotency_key))
    if existing is not None:
        return existing
    settings = service.settings
    length = measure(body)
    message = OutboundMessage(
        idempotency_key=idempotency_key, phone=phone, farmer_id=farmer_id, body=body, locale=locale,
        category=category, purpose=purpose, encoding=length.encoding, segments=length.segments,
        estimated_cost=estimated_cost(settings, length.segments), status="queued", attempts=0,
    )
    refused = _refusal(service, session, message)
    if refused:
        message.status, message.last_error = ("failed" if refused.startswith("DLT") else "cancelled"), refused
        log.warning("SMS not queued: %s", refused, extra={"purpose": purpose})
    elif category != "service_implicit":
        message.send_after = next_send_time(settings.send_windows, category, phone, now or utcnow(),
                                            settings.timezone)
    try:
        with session.begin_nested():  # a racing twin may insert the same key first: then use its row
            session.add(message)
    except IntegrityError:
        return session.scalar(select(OutboundMessage).where(OutboundMessage.idempotency_key == idempotency_key))
    if message.status == "queued" and message.send_after is None:
        message_id = message.id
        after_commit(session, lambda: service.tasks.send_sms(message_id))
    return message


def estimated_cost(settings: Settings, segments: int) -> Decimal:
    return settings.sms_segment_price.amount * segments




def _refusal(service: Service, session: Session, message: OutboundMessage) -> str | None:
    """Why this message must not be sent at all, or None. Sets the DLT template on the message when one fits."""
    if message.category != "service_implicit" and message.farmer_id is not None:
        opted_out = session.scalar(select(Farmer.sms_opted_out).where(Farmer.id == message.farmer_id))
        if opted_out:
            return "farmer opted out of SMS"
    if dlt.needs_template(message.phone):
        header = service.dlt_header()
        template = service.templates.match(session, message.body, message.category, header)
        if template is None:
            return dlt.refusal(message.category, header)
        message.template_id, message.dlt_entity_id = template.template_id, template.entity_id
    if is_simulated(service.settings, message.phone):
        return NOT_SENT  # the console's phone: kept for its inbox, never handed to a provider
    return None
