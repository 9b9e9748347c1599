"""A farmer's payments, from the pending Payment to its end: a link by SMS, then paid (the plan starts, exactly one
receipt), or expired (one "did not go through" SMS with a fresh link), and renewal reminders before a plan ends.

Which provider makes the links is configuration (workers.payment_providers); how it says "paid" is its own route
(the Razorpay webhook, the sandbox page), and both settle here, under the payment's row lock.
"""
from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from dialogs.texts import BABEL_LOCALES, N_, texts
from farmdb.db import after_commit
from farmdb.models import Farmer, Payment, Plan, Subscription
from farmdb.types import utcnow
from workers import runtime
from workers.celery_app import celery
from workers.outbox import queue_sms
from workers.payment_providers import PermanentPaymentError, RetryablePaymentError, provider_for
from workers.tasks import MAX_RETRIES, retry_delay

log = logging.getLogger(__name__)

RETRY_KEY = "retry:payment:{}"  # the fresh link offered once when a first purchase's link expires
REMIND_DAYS_BEFORE = 3
# Local hours a renewal reminder may go out (TRAI's 10:00-21:00): the daily run is at 10:30, a late re-run waits.
REMINDER_HOURS = (time(10, 0), time(21, 0))
# A payment made in a link's last minute reaches us by webhook a little later: expire only after this.
EXPIRY_GRACE = timedelta(minutes=15)
# A pending payment still without a link this long after it was made: its link task was lost or ran out of tries.
LINK_SWEEP_AFTER = timedelta(minutes=10)


def start_payment(db: Session, *, farmer_id: int, plan: Plan, purpose: str, idempotency_key: str) -> Payment:
    """A pending Payment whose link goes out by SMS once this transaction commits. The same key again returns the
    first Payment and sends nothing more."""
    existing = db.scalar(select(Payment).where(Payment.idempotency_key == idempotency_key))
    if existing is not None:
        return existing
    settings, _ = runtime.current()
    payment = Payment(farmer_id=farmer_id, plan_id=plan.id, amount_minor=plan.price_minor, currency=plan.currency,
                      purpose=purpose, provider=settings.payment_provider, status="pending",
                      idempotency_key=idempotency_key)
    try:
        with db.begin_nested():  # a racing twin may insert the same key first: then theirs is the one
            db.add(payment)
    except IntegrityError:
        return db.scalar(select(Payment).where(Payment.idempotency_key == idempotency_key))
    payment_id = payment.id
    after_commit(db, lambda: send_payment_link.delay(payment_id))
    return payment


def mark_paid(db: Session, payment: Payment, at: datetime | None = None) -> bool:
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
        t = texts(farmer.locale, latin=False)
        queue_sms(db, phone=farmer.phone, locale=farmer.locale, category="service_implicit", purpose="receipt",
                  farmer_id=farmer.id, idempotency_key=f"receipt:payment:{payment.id}",
                  body=t(N_("payment.receipt_sms"), plan=plan.name_in(farmer.locale),
                         price=t.money(payment.amount_minor // 100), end=_local_day(subscription.ends_at, farmer)))
    return True


def expire(db: Session, payment: Payment, reason: str) -> Payment | None:
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
    return start_payment(db, farmer_id=farmer.id, plan=payment.plan, purpose=payment.purpose,
                         idempotency_key=RETRY_KEY.format(payment.id))


def _is_retry(payment: Payment) -> bool:
    return payment.idempotency_key.startswith(RETRY_KEY.format(""))


def _moved_on(db: Session, payment: Payment) -> bool:
    """The farmer has bought since (another pending or paid payment): telling them this one failed would confuse."""
    return bool(db.scalar(select(exists().where(
        Payment.farmer_id == payment.farmer_id, Payment.id != payment.id, Payment.created_at >= payment.created_at,
        Payment.status.in_(("pending", "paid"))))))


@celery.task(bind=True, name="workers.payments.send_payment_link", max_retries=MAX_RETRIES)
def send_payment_link(self, payment_id: int) -> str:
    """Give a pending payment its link at the configured provider and SMS it to the farmer: the plain link, the
    retry offer, or the renewal reminder, by what the payment is for. Runs twice, sends once (SMS idempotency key).

    The provider is called outside any transaction. A retryable error retries the task with backoff in a worker;
    in-process (eager) the payment stays pending without a link, for expire_stale_payments to try again. A permanent
    error, or the last retryable one, fails the payment and keeps the reason."""
    settings, backends = runtime.current()
    provider = provider_for(settings)
    with backends.sessions() as session:
        payment = session.get(Payment, payment_id)
        if payment is None or payment.status != "pending" or payment.farmer is None:
            return "skipped"
        farmer, plan, has_link = payment.farmer, payment.plan, payment.link_url is not None
    link = expires_at = None
    if not has_link:
        expires_at = utcnow() + timedelta(hours=settings.payment_link_ttl_hours)
        try:
            link = provider.create_link(payment, farmer, plan, expires_at)
        except RetryablePaymentError as exc:
            return _retry_later(self, backends, payment_id, exc)
        except PermanentPaymentError as exc:
            log.error("payment link refused: %s", exc.reason, extra={"payment_id": payment_id})
            return _fail(backends, payment_id, exc.reason)
    with backends.sessions() as session, session.begin():
        payment = session.get(Payment, payment_id, with_for_update=True)
        if payment.status != "pending":  # paid or expired meanwhile: that is the last word
            return payment.status
        if payment.link_url is None:
            payment.provider, payment.provider_ref = provider.name, link.ref
            payment.link_url, payment.expires_at = link.url, expires_at
        _send_link(session, payment)
    return "sent"


def _send_link(session: Session, payment: Payment) -> None:
    farmer, plan = payment.farmer, payment.plan
    t = texts(farmer.locale, latin=False)
    name, price = plan.name_in(farmer.locale), t.money(payment.amount_minor // 100)
    renewing = _renewing(session, payment) if payment.purpose == "renewal" else None
    if renewing is not None:
        key = f"renewal_reminder:subscription:{renewing.id}"
        body = t(N_("payment.reminder_sms"), plan=name, end=_local_day(renewing.ends_at, farmer), price=price,
                 url=payment.link_url)
    elif _is_retry(payment):
        key = f"payment_retry:payment:{payment.id}"
        body = t(N_("payment.retry_sms"), price=price, plan=name, url=payment.link_url)
    else:
        key = f"payment_link:{payment.id}"
        body = t(N_("payment.link_sms"), plan=name, price=price, days=plan.duration_days, url=payment.link_url)
    queue_sms(session, phone=farmer.phone, body=body, locale=farmer.locale, category="service_implicit",
              purpose="payment_link", idempotency_key=key, farmer_id=farmer.id)


def _renewing(session: Session, payment: Payment) -> Subscription | None:
    """The plan a renewal payment continues: the farmer's active subscription that ends last."""
    return session.scalar(select(Subscription).where(
        Subscription.farmer_id == payment.farmer_id, Subscription.status == "active",
        Subscription.ends_at > utcnow()).order_by(Subscription.ends_at.desc()).limit(1))


def _retry_later(task, backends, payment_id: int, exc: RetryablePaymentError) -> str:
    if task.request.is_eager or task.request.called_directly:
        log.warning("payment link not made, left pending for the next sweep: %s", exc.reason,
                    extra={"payment_id": payment_id})
        return "pending"
    if task.request.retries >= MAX_RETRIES:
        log.error("payment link not made after %d tries: %s", task.request.retries + 1, exc.reason,
                  extra={"payment_id": payment_id})
        return _fail(backends, payment_id, exc.reason)
    log.info("payment link not made, retrying: %s", exc.reason, extra={"payment_id": payment_id})
    raise task.retry(countdown=retry_delay(task.request.retries + 1), exc=exc)


def _fail(backends, payment_id: int, reason: str) -> str:
    with backends.sessions() as session, session.begin():
        payment = session.get(Payment, payment_id, with_for_update=True)
        if payment.status == "pending" and payment.link_url is None:
            payment.status, payment.failure_reason = "failed", reason[:120]
        return payment.status


@celery.task(name="workers.payments.expire_stale_payments")
def expire_stale_payments() -> int:
    """Hourly. Pending payments whose link has closed are expired (and a first purchase offered again, once): the
    sandbox's only expiry, and Razorpay's when its expiry webhook was missed. Pending payments still without a link
    get another try, or fail once their link would have closed anyway. Returns how many were expired."""
    settings, backends = runtime.current()
    now = utcnow()
    with backends.sessions() as session, session.begin():
        stale = session.scalars(select(Payment).where(
            Payment.status == "pending", Payment.expires_at < now - EXPIRY_GRACE)
            .order_by(Payment.id).with_for_update(skip_locked=True)).all()
        for payment in stale:
            expire(session, payment, "link expired")
        linkless = session.scalars(select(Payment).where(
            Payment.status == "pending", Payment.link_url.is_(None), Payment.created_at < now - LINK_SWEEP_AFTER)
            .order_by(Payment.id).with_for_update(skip_locked=True)).all()
        for payment in linkless:
            if payment.created_at < now - timedelta(hours=settings.payment_link_ttl_hours):
                payment.status, payment.failure_reason = "failed", "no payment link could be made in time"
            else:
                after_commit(session, lambda payment_id=payment.id: send_payment_link.delay(payment_id))
    if stale:
        log.info("expired %d payment(s) whose link closed", len(stale))
    return len(stale)


@celery.task(name="workers.payments.remind_renewals")
def remind_renewals() -> int:
    """Daily. Each active plan ending within three days (local dates) gets a renewal Payment and ONE reminder SMS
    with its link: one per subscription however often this runs, and a day missed is caught up the next. Farmers
    without consent, who said STOP, or who already have the next plan queued (a paid renewal) get none.
    Returns how many subscriptions were due."""
    settings, backends = runtime.current()
    zone = ZoneInfo(settings.timezone)
    now = utcnow()
    local_now = now.astimezone(zone)
    if not REMINDER_HOURS[0] <= local_now.time() < REMINDER_HOURS[1]:
        log.info("renewal reminders wait for 10:00-21:00 local time")
        return 0
    horizon = datetime.combine(local_now.date() + timedelta(days=REMIND_DAYS_BEFORE + 1), time(0), zone)
    later = aliased(Subscription)
    due = (select(Subscription).join(Farmer, Farmer.id == Subscription.farmer_id).where(
        Subscription.status == "active", Subscription.ends_at > now, Subscription.ends_at < horizon,
        Farmer.consent_given_at.is_not(None), Farmer.consent_withdrawn_at.is_(None),
        Farmer.sms_opted_out.is_(False),
        ~exists().where(later.farmer_id == Subscription.farmer_id, later.status == "active",
                        later.ends_at > Subscription.ends_at))
        .order_by(Subscription.id))
    with backends.sessions() as session, session.begin():
        subscriptions = session.scalars(due).all()
        for subscription in subscriptions:
            if not subscription.plan.active:
                continue  # a plan no longer sold is not offered again
            start_payment(session, farmer_id=subscription.farmer_id, plan=subscription.plan, purpose="renewal",
                          idempotency_key=f"renewal:subscription:{subscription.id}")
    return len(subscriptions)


def _local_day(moment: datetime, farmer: Farmer) -> str:
    """The farmer's calendar day for a UTC moment (TIMEZONE), written in their language: '18 नव॰ 2026'."""
    settings, _ = runtime.current()
    day = moment.astimezone(ZoneInfo(settings.timezone)).date()
    return format_date(day, "d MMM y", locale=BABEL_LOCALES[farmer.locale])
