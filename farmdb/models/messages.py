"""Messages in and out. OutboundMessage is the outbox: a row is written in the same transaction as the change that
causes it, and the send task is queued only after that commit, so nothing is sent for work that rolled back."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from farmdb.models.base import Base, Timestamps
from farmdb.models.catalogue import Advisory
from farmdb.models.farmers import Farmer
from farmdb.types import JsonDoc, UtcDateTime, utcnow

# Our statuses, in the order a message moves through them; a status never moves backwards. "cancelled" is for a
# message that was never handed to a provider and never will be (the farmer opted out meanwhile, DLT refused it).
OUTBOUND_STATUSES = ("queued", "sending", "sent", "delivered", "undelivered", "failed", "cancelled")
FINAL_STATUSES = ("delivered", "undelivered", "failed", "cancelled")
# DLT categories (TRAI TCCCPR): they decide consent checks and quiet hours.
CATEGORIES = ("service_implicit", "service_explicit", "promotional")


class InboundMessage(Base):
    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("provider", "provider_message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    provider_message_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16), default="sms")
    phone: Mapped[str] = mapped_column(String(16), index=True)
    to_address: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    link_id: Mapped[str | None] = mapped_column(String(64))  # AT premium/on-demand link, must go back with the reply
    farmer_id: Mapped[int | None] = mapped_column(ForeignKey("farmers.id", ondelete="SET NULL"))
    intent: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    extra: Mapped[dict] = mapped_column(JsonDoc, default=dict)

    farmer: Mapped[Farmer | None] = relationship()


class OutboundMessage(Timestamps, Base):
    __tablename__ = "outbound_messages"
    __table_args__ = (
        Index("ix_outbound_messages_provider_ref", "provider", "provider_message_id"),
        Index("ix_outbound_messages_status_send_after", "status", "send_after"),
        Index("ix_outbound_messages_broadcast_status", "broadcast_id", "status"),
        Index("ix_outbound_messages_created_at", "created_at"),  # the dashboard's day and week
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Derived from what caused the message ("receipt:payment:42", "broadcast:7:farmer:991"): running the same cause
    # twice finds the existing row instead of sending again.
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    phone: Mapped[str] = mapped_column(String(16), index=True)
    farmer_id: Mapped[int | None] = mapped_column(ForeignKey("farmers.id", ondelete="SET NULL"), index=True)
    body: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(24))
    purpose: Mapped[str] = mapped_column(String(32))  # reply | advisory | payment_link | receipt | ticket | ...
    template_id: Mapped[str | None] = mapped_column(String(32))  # India DLT content template id
    dlt_entity_id: Mapped[str | None] = mapped_column(String(32))  # India DLT principal entity id
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="SET NULL"))
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_message_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    provider_status: Mapped[str | None] = mapped_column(String(40))  # the provider's own word, kept as received
    encoding: Mapped[str] = mapped_column(String(8))  # GSM-7 | UCS-2
    segments: Mapped[int] = mapped_column(Integer)
    estimated_cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))  # segments x SMS_SEGMENT_PRICE, at queueing
    cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))  # what the provider says it charged
    cost_currency: Mapped[str | None] = mapped_column(String(3))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    send_after: Mapped[datetime | None] = mapped_column(UtcDateTime)  # quiet hours defer here
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    farmer: Mapped[Farmer | None] = relationship()


class DltTemplate(Timestamps, Base):
    """A content template registered on India's DLT platform. A message to an Indian number must match one, or the
    operator drops it: we refuse it before sending instead. `text` is as registered, with `{#var#}` placeholders."""

    __tablename__ = "dlt_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[str] = mapped_column(String(32), unique=True)
    entity_id: Mapped[str] = mapped_column(String(32))
    header: Mapped[str] = mapped_column(String(11))  # the registered sender id
    category: Mapped[str] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    # Operators let one {#var#} stand for up to 30 characters; longer values need several placeholders in a row.
    var_max_chars: Mapped[int] = mapped_column(Integer, default=30)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(16), default="registered")  # registered | demo (made by `kheti seed`)


class Broadcast(Timestamps, Base):
    """One push to many farmers. Its outbox rows carry broadcast_id; progress is counted from them."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The same advisory to the same audience is the same broadcast: creating it again adds nobody twice.
    key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(24))  # advisory | notice | weather_alert | stage_advisory | price_alerts
    advisory_id: Mapped[int | None] = mapped_column(ForeignKey("advisories.id", ondelete="SET NULL"))
    audience: Mapped[dict] = mapped_column(JsonDoc, default=dict)  # {"crop": "cotton", "district": "Nashik", ...}
    category: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued | dispatched | cancelled
    created_by: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(120))  # what the console lists it as ("Pink bollworm alert")
    scheduled_for: Mapped[datetime | None] = mapped_column(UtcDateTime)  # its rows wait till then (send_after)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(String(64))
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    segments: Mapped[int] = mapped_column(Integer, default=0)
    estimated_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    currency: Mapped[str | None] = mapped_column(String(3))
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Last time a chunk of it was worked on: the sweeper leaves a broadcast's waiting rows alone while it moves.
    progress_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    advisory: Mapped[Advisory | None] = relationship()


class UssdSession(Base):
    """Africa's Talking's end-of-session notification: how each USSD session ended, for operators."""

    __tablename__ = "ussd_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str] = mapped_column(String(16), index=True)
    service_code: Mapped[str | None] = mapped_column(String(32))
    network_code: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # Success | Incomplete | Failed (as AT sends it)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    hops: Mapped[int | None] = mapped_column(Integer)
    last_screen: Mapped[str | None] = mapped_column(Text)
    exit_screen: Mapped[str | None] = mapped_column(String(48), index=True)  # the dialog screen id it ended on
    # The session log: each hop's time, screen id, what the farmer sent and what was shown, in order (console).
    steps: Mapped[list | None] = mapped_column(JsonDoc)
    input: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    cost: Mapped[str | None] = mapped_column(String(32))
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class Campaign(Timestamps, Base):
    """A broadcast that comes back: on these weekdays at this local time (TIMEZONE), the same advisory or words to
    the same audience ("every Monday at 07:00 to cotton growers in Vidarbha"). The beat makes each day's broadcast
    (key "campaign:<id>:<day>", so a day's is made once) and moves next_run_at on."""

    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_due", "active", "next_run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    advisory_id: Mapped[int | None] = mapped_column(ForeignKey("advisories.id", ondelete="SET NULL"))
    words: Mapped[dict] = mapped_column(JsonDoc, default=dict)  # {"en": ..., "hi": ..., "mr": ...} when no advisory
    audience: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    category: Mapped[str] = mapped_column(String(24))
    weekdays: Mapped[str] = mapped_column(String(32))  # "mon,thu"
    at_time: Mapped[str] = mapped_column(String(5))  # "07:00", in TIMEZONE
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    next_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="SET NULL"))
    last_error: Mapped[str | None] = mapped_column(Text)  # why the last run sent nothing ("nobody in the audience")
    created_by: Mapped[str | None] = mapped_column(String(64))
