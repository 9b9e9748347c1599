"""Paid advisory plans. Money is kept in minor units (paise) as integers: no floating point near money."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from farmdb.models.base import Base, Localised, Timestamps
from farmdb.models.farmers import Farmer
from farmdb.types import JsonDoc, UtcDateTime, utcnow

PAYMENT_STATUSES = ("pending", "paid", "failed", "expired", "refunded")
SUBSCRIPTION_STATUSES = ("active", "expired", "cancelled")


class Plan(Localised, Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    names: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    romanised: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    descriptions: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    price_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    duration_days: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Payment(Timestamps, Base):
    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("provider", "provider_ref"), Index("ix_payments_created_at", "created_at"),
                      Index("ix_payments_paid_at", "paid_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    farmer_id: Mapped[int | None] = mapped_column(ForeignKey("farmers.id", ondelete="SET NULL"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    purpose: Mapped[str] = mapped_column(String(32))  # e.g. "subscription"
    provider: Mapped[str] = mapped_column(String(32))  # razorpay | sandbox
    provider_ref: Mapped[str | None] = mapped_column(String(64))  # payment link id at the provider
    link_url: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    # One logical purchase, however many times the farmer presses "confirm" or the webhook is retried.
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # when the link stops taking money
    provider_payment_id: Mapped[str | None] = mapped_column(String(64))  # Razorpay pay_..., once paid
    failure_reason: Mapped[str | None] = mapped_column(String(120))

    farmer: Mapped[Farmer | None] = relationship()
    plan: Mapped[Plan | None] = relationship()


class PaymentEvent(Base):
    """Each webhook event a payment provider sent, once: a redelivered event is recognised by its id and ignored."""

    __tablename__ = "payment_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(48))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"), index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Subscription(Timestamps, Base):
    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    farmer_id: Mapped[int] = mapped_column(ForeignKey("farmers.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)

    farmer: Mapped[Farmer] = relationship()
    plan: Mapped[Plan] = relationship()
    payment: Mapped[Payment | None] = relationship()
