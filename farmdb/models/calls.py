"""Voice calls: one row per call, inbound or outbound, from the first webhook to the provider's final word."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from farmdb.models.base import Base, Timestamps
from farmdb.types import JsonDoc, UtcDateTime

CALL_KINDS = ("hotline", "missed_call", "callback")
FINAL_CALL_STATUSES = ("completed", "busy", "failed", "no-answer", "canceled", "rejected")


class CallLog(Timestamps, Base):
    __tablename__ = "call_logs"
    __table_args__ = (UniqueConstraint("provider", "call_id"), Index("ix_call_logs_created_at", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    call_id: Mapped[str] = mapped_column(String(64))  # Twilio CallSid, Africa's Talking sessionId
    kind: Mapped[str] = mapped_column(String(16))  # hotline | missed_call | callback
    direction: Mapped[str] = mapped_column(String(16))  # inbound | outbound
    phone: Mapped[str] = mapped_column(String(16), index=True)  # the farmer's number, E.164
    line: Mapped[str | None] = mapped_column(String(32))  # our number they called, or called from
    farmer_id: Mapped[int | None] = mapped_column(ForeignKey("farmers.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(24))  # the provider's word: ringing, in-progress, completed, ...
    last_screen: Mapped[str | None] = mapped_column(String(48))
    steps: Mapped[list | None] = mapped_column(JsonDoc)  # the call's log: each turn's screen, input and words
    duration_s: Mapped[int | None] = mapped_column(Integer)
    cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    cost_currency: Mapped[str | None] = mapped_column(String(3))
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
