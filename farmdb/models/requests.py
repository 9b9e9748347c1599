"""Farmers' requests for a human: pest and disease reports, call-backs, recorded questions; and how the expert desk
works them: claimed or assigned, answered by SMS or by a call, closed with an outcome."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from farmdb.models.base import Base, Timestamps
from farmdb.models.catalogue import Crop
from farmdb.models.farmers import Farmer
from farmdb.models.operators import Operator
from farmdb.types import UtcDateTime

REQUEST_KINDS = ("pest_report", "callback", "question")
REQUEST_STATUSES = ("open", "assigned", "answered", "closed")
OUTCOMES = ("answered", "unreachable", "referred")  # how a ticket was closed


class ExpertRequest(Timestamps, Base):
    __tablename__ = "expert_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(12), unique=True)  # what the farmer quotes on the phone
    farmer_id: Mapped[int | None] = mapped_column(ForeignKey("farmers.id", ondelete="SET NULL"), index=True)
    crop_id: Mapped[int | None] = mapped_column(ForeignKey("crops.id"))
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    recording_url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"), index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answer: Mapped[str | None] = mapped_column(Text)  # the last answer sent by SMS, as typed
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answer_heard_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # read out to the farmer on a call
    outcome: Mapped[str | None] = mapped_column(String(16))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    farmer: Mapped[Farmer | None] = relationship()
    crop: Mapped[Crop | None] = relationship()
    assigned_to: Mapped[Operator | None] = relationship()
