"""Settling a payment: paid -> the plan's subscription starts and exactly one receipt SMS goes out, however many
times the provider (or a farmer double-tapping the sandbox page) says so."""
from __future__ import annotations

from datetime import datetime, timedelta

from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.orm import Session

from dialogs.texts import BABEL_LOCALES, N_, texts
from farmdb.models import Payment, Subscription
from farmdb.types import utcnow
from workers import runtime
from workers.celery_app import celery
from workers.outbox import queue_sms


def mark_paid(db: Session, payment: Payment, at: datetime | None = None) -> bool:
    """Returns False when it was already settled: nothing more is done."""
    if payment.status == "paid":
        return False
    at = at or utcnow()
    payment.status, payment.paid_at = "paid", at
    plan, farmer = payment.plan, payment.farmer
    subscription = db.scalar(select(Subscription).where(Subscription.payment_id == payment.id))
    if subscription is None and farmer is not None:
        # A renewal starts when the current plan ends, not today: the farmer paid for the days, not the date.
        current_end = db.scalar(select(Subscription.ends_at).where(
            Subscription.farmer_id == farmer.id, Subscription.status == "active",
            Subscription.ends_at > at).order_by(Subscription.ends_at.desc()))
        starts = current_end or at
        subscription = Subscription(farmer_id=farmer.id, plan_id=plan.id, payment_id=payment.id, status="active",
                                    starts_at=starts, ends_at=starts + timedelta(days=plan.duration_days))
        db.add(subscription)
    if farmer is not None:
        t = texts(farmer.locale, latin=False)
        end = format_date(subscription.ends_at.date(), "d MMM y", locale=BABEL_LOCALES[farmer.locale])
        queue_sms(db, phone=farmer.phone, locale=farmer.locale, category="service_implicit", purpose="receipt",
                  farmer_id=farmer.id, idempotency_key=f"receipt:payment:{payment.id}",
                  body=t(N_("payment.receipt_sms"), plan=plan.name_in(farmer.locale),
                         price=t.money(payment.amount_minor // 100), end=end))
    return True


@celery.task(name="workers.payments.send_payment_link")
def send_payment_link(payment_id: int) -> str:
    """Give a pending payment its link and SMS it to the farmer. Until the payment providers are built (the outbound
    and payments issue) the link is a sandbox address on this gateway, and that page does not exist yet."""
    settings, backends = runtime.current()
    with backends.sessions() as session, session.begin():
        payment = session.get(Payment, payment_id)
        if payment is None or payment.status != "pending" or payment.farmer is None:
            return "skipped"
        if payment.link_url is None:
            base = settings.public_base_url or f"http://127.0.0.1:{settings.port}"
            payment.provider_ref = f"sandbox_{payment.id}"
            payment.link_url = f"{base}/payments/sandbox/{payment.provider_ref}"
        farmer, plan = payment.farmer, payment.plan
        t = texts(farmer.locale, latin=False)
        body = t(N_("payment.link_sms"), plan=plan.name_in(farmer.locale), price=t.money(payment.amount_minor // 100),
                 days=plan.duration_days, url=payment.link_url)
        queue_sms(session, phone=farmer.phone, body=body, locale=farmer.locale, category="service_implicit",
                  purpose="payment_link", idempotency_key=f"payment_link:{payment.id}", farmer_id=farmer.id)
    return "sent"
