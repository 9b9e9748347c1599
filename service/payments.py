"""A farmer's payments, from the pending Payment to its end: a link by SMS, then paid (the plan starts, exactly one
receipt), or expired (one "did not go through" SMS with a fresh link), and renewal reminders before a plan ends.

Which provider makes the links is configuration (service.payment_providers); how it says "paid" is its own route
(the Razorpay webhook, the sandbox page), and both settle here, under the payment's row lock. The workers' tasks
(workers.payments) make the links and run the hourly and daily sweeps.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dialogs.texts import N_, Texts, texts
from farmdb.db import after_commit
from farmdb.models import Farmer, InboundMessage, Payment, Plan, Subscription
from farmdb.types import utcnow
from nlu.transliterate import has_devanagari
from service.context import Service
from service.outbox import queue_sms
from service.payment_providers import Link

log = logging.getLogger(__name__)

RETRY_KEY = "retry:payment:{}"  # the fresh link offered once when a first purchase's link expires
LATEST_SMS_READ = 5  # a farmer's latest SMS looked at for the letters they write in ("2" picks a plan: no letters)


def start_payment(service: Service, db: Session, *, farmer_id: int, plan: Plan, purpose: str, idempotency_key: str
                  ) -> Payment:
    """A pending Payment whose link goes out by SMS once this transaction commits. The same key again returns the
    first Payment and sends nothing more."""
    existing = db.scalar(select(Payment).where(Payment.idempotency_key == idempotency_key))
    if existing is not None:
        return existing
    payment = Payment(farmer_id=farmer_id, plan_id=plan.id, amount_minor=plan.price_minor, currency=plan.currency,
                      purpose=purpose, provider=service.settings.payment_provider, status="pending",
                      idempotency_key=idempotency_key)
    try:
        with db.begin_nested():  # a racing twin may insert the same key first: then theirs is the one
            db.add(payment)
    except IntegrityError:
        return db.scalar(select(Payment).where(Payment.idempotency_key == idempotency_key))
    payment_id = payment.id
    after_commit(db, lambda: service.tasks.send_payment_link(payment_id))
    return payment


def mark_paid(service: Service, db: Session, payment: Payment, at: datetime | None = None) -> bool:
    """Returns False when it was already settled: nothing more is done. The caller holds the payment's row lock.
    An expired payment can still be paid: the money reached the provider before the link closed."""
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
        t = _texts_for(db, farmer)
        ends = _local_day(service, subscription.ends_at, t)
        queue_sms(service, db, phone=farmer.phone, locale=farmer.locale, category="service_implicit", purpose="receipt",
                  farmer_id=farmer.id, idempotency_key=f"receipt:payment:{payment.id}",
                  body=t(N_("payment.receipt_sms"), plan=plan.name_in(farmer.locale, latin=t.latin),
                         price=t.money(payment.amount_minor // 100), end=ends, ref=reference(payment)))
    return True


def expire(service: Service, db: Session, payment: Payment, reason: str) -> Payment | None:
    """The link can no longer be paid. A first purchase is offered again, once: a fresh Payment whose link goes out
    as the "did not go through" SMS. A renewal is not (the farmer chose not to renew; the plan's end says the
    rest), nor a retry (one reminder, not one every two days). The caller holds the payment's row lock."""
    if payment.status != "pending":
        return None
    payment.status, payment.failure_reason = "expired", reason[:120]
    farmer = payment.farmer
    if (payment.purpose != "subscription" or _is_retry(payment) or farmer is None or farmer.sms_opted_out
            or not farmer.has_consent or _moved_on(db, payment)):
        return None
    return start_payment(service, db, farmer_id=farmer.id, plan=payment.plan, purpose=payment.purpose,
                         idempotency_key=RETRY_KEY.format(payment.id))


def _is_retry(payment: Payment) -> bool:
    return payment.idempotency_key.startswith(RETRY_KEY.format(""))


def _moved_on(db: Session, payment: Payment) -> bool:
    """The farmer has bought since (another pending or paid payment): telling them this one failed would confuse."""
    return bool(db.scalar(select(exists().where(
        Payment.farmer_id == payment.farmer_id, Payment.id != payment.id, Payment.created_at >= payment.created_at,
        Payment.status.in_(("pending", "paid"))))))


def give_link(service: Service, payment_id: int, link: Link | None, expires_at: datetime | None) -> str:
    """Record the link the provider made (None: the payment had one already) and queue its SMS: the plain link, the
    retry offer or the renewal reminder, by what the payment is for. Returns the payment's status afterwards ("sent"
    when the SMS is queued); a payment paid or expired meanwhile keeps that last word."""
    with service.backends.sessions() as session, session.begin():
        payment = session.get(Payment, payment_id, with_for_update=True)
        if payment.status != "pending":
            return payment.status
        if payment.link_url is None:
            payment.provider, payment.provider_ref = service.payment_provider().name, link.ref
            payment.link_url, payment.expires_at = link.url, expires_at
        _send_link(service, session, payment)
    return "sent"


def fail(service: Service, payment_id: int, reason: str) -> str:
    """No link could be made: the payment fails with the reason, unless something settled it meanwhile."""
    with service.backends.sessions() as session, session.begin():
        payment = session.get(Payment, payment_id, with_for_update=True)
        if payment.status == "pending" and payment.link_url is None:
            payment.status, payment.failure_reason = "failed", reason[:120]
        return payment.status


def _send_link(service: Service, session: Session, payment: Payment) -> None:
    farmer, plan = payment.farmer, payment.plan
    t = _texts_for(session, farmer)
    name, price = plan.name_in(farmer.locale, latin=t.latin), t.money(payment.amount_minor // 100)
    # Every link SMS says the payment's number (to quote when asking about it) and how long the link can be paid.
    link = {"url": payment.link_url, "ref": reference(payment), "hours": _hours_left(service, payment)}
    renewing = _renewing(session, payment) if payment.purpose == "renewal" else None
    if renewing is not None:
        key = f"renewal_reminder:subscription:{renewing.id}"
        body = t(N_("payment.reminder_sms"), plan=name, end=_local_day(service, renewing.ends_at, t), price=price,
                 **link)
    elif _is_retry(payment):
        key = f"payment_retry:payment:{payment.id}"
        body = t(N_("payment.retry_sms"), price=price, plan=name, **link)
    else:
        key = f"payment_link:{payment.id}"
        body = t(N_("payment.link_sms"), plan=name, price=price, days=plan.duration_days, **link)
    queue_sms(service, session, phone=farmer.phone, body=body, locale=farmer.locale, category="service_implicit",
              purpose="payment_link", idempotency_key=key, farmer_id=farmer.id)


def _renewing(session: Session, payment: Payment) -> Subscription | None:
    """The plan a renewal payment continues: the farmer's active subscription that ends last."""
    return session.scalar(select(Subscription).where(
        Subscription.farmer_id == payment.farmer_id, Subscription.status == "active",
        Subscription.ends_at > utcnow()).order_by(Subscription.ends_at.desc()).limit(1))


def _local_day(service: Service, moment: datetime, t: Texts) -> str:
    """The farmer's calendar day for a UTC moment (TIMEZONE), written in their language: '18 नवंबर 2026'."""
    return t.date(moment.astimezone(ZoneInfo(service.settings.timezone)).date(), year=True)


def reference(payment: Payment) -> str:
    """The payment's number as the farmer reads it in every payment SMS, and as a helpdesk finds it: our id (the
    provider knows the link by the same number, as `kheti-payment-<id>`)."""
    return str(payment.id)


def _hours_left(service: Service, payment: Payment) -> int:
    """How many more hours the link can be paid: PAYMENT_LINK_TTL_HOURS for a link just made."""
    if payment.expires_at is None:
        return service.settings.payment_link_ttl_hours
    return max(1, round((payment.expires_at - utcnow()).total_seconds() / 3600))


def _texts_for(session: Session, farmer: Farmer) -> Texts:
    """The farmer's language in the letters they write in, as their SMS replies are: Latin letters for a farmer whose
    latest SMS with words in it had no Devanagari, Devanagari otherwise (and for a farmer who never wrote)."""
    latest = session.scalars(select(InboundMessage.text).where(
        InboundMessage.phone == farmer.phone, InboundMessage.channel == "sms")
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc()).limit(LATEST_SMS_READ)).all()
    worded = next((text for text in latest if any(ch.isalpha() for ch in text)), None)
    return texts(farmer.locale, latin=worded is not None and not has_devanagari(worded))
