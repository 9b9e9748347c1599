"""Payment tasks: making a pending payment's link (and sending it), and the sweeps that expire unpaid links and
remind farmers before a plan ends. What a payment is and how it settles is service.payments."""
from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from farmdb.db import after_commit
from farmdb.models import Farmer, Payment, Subscription
from farmdb.types import utcnow
from service.payment_providers import PermanentPaymentError, RetryablePaymentError
from service.payments import expire, fail, give_link, start_payment
from service.tasks import SEND_PAYMENT_LINK
from workers.registry import ServiceTask, TaskList
from workers.sending import MAX_RETRIES, retry_delay

log = logging.getLogger(__name__)

EXPIRE_STALE_PAYMENTS = "workers.payments.expire_stale_payments"
REMIND_RENEWALS = "workers.payments.remind_renewals"
REMIND_DAYS_BEFORE = 3
# Local hours a renewal reminder may go out (TRAI's 10:00-21:00): the daily run is at 10:30, a late re-run waits.
REMINDER_HOURS = (time(10, 0), time(21, 0))
# A payment made in a link's last minute reaches us by webhook a little later: expire only after this.
EXPIRY_GRACE = timedelta(minutes=15)
# A pending payment still without a link this long after it was made: its link task was lost or ran out of tries.
LINK_SWEEP_AFTER = timedelta(minutes=10)

TASKS = TaskList()


@TASKS.task(SEND_PAYMENT_LINK, queue="sms.priority", max_retries=MAX_RETRIES)
def send_payment_link(task: ServiceTask, payment_id: int) -> str:
    """Give a pending payment its link at the configured provider and SMS it to the farmer. Runs twice, sends once
    (SMS idempotency key).

    The provider is called outside any transaction. A retryable error retries the task with backoff in a worker;
    in-process (eager) the payment stays pending without a link, for expire_stale_payments to try again. A permanent
    error, or the last retryable one, fails the payment and keeps the reason."""
    service = task.service
    with service.backends.sessions() as session:
        payment = session.get(Payment, payment_id)
        if payment is None or payment.status != "pending" or payment.farmer is None:
            return "skipped"
        farmer, plan, has_link = payment.farmer, payment.plan, payment.link_url is not None
    link = expires_at = None
    if not has_link:
        expires_at = utcnow() + timedelta(hours=service.settings.payment_link_ttl_hours)
        try:
            link = service.payment_provider().create_link(payment, farmer, plan, expires_at)
        except RetryablePaymentError as exc:
            return _retry_later(task, payment_id, exc)
        except PermanentPaymentError as exc:
            log.error("payment link refused: %s", exc.reason, extra={"payment_id": payment_id})
            return fail(service, payment_id, exc.reason)
    return give_link(service, payment_id, link, expires_at)


def _retry_later(task: ServiceTask, payment_id: int, exc: RetryablePaymentError) -> str:
    if task.in_process:
        log.warning("payment link not made, left pending for the next sweep: %s", exc.reason,
                    extra={"payment_id": payment_id})
        return "pending"
    if task.request.retries >= MAX_RETRIES:
        log.error("payment link not made after %d tries: %s", task.request.retries + 1, exc.reason,
                  extra={"payment_id": payment_id})
        return fail(task.service, payment_id, exc.reason)
    log.info("payment link not made, retrying: %s", exc.reason, extra={"payment_id": payment_id})
    raise task.retry(countdown=retry_delay(task.request.retries + 1), exc=exc)


@TASKS.task(EXPIRE_STALE_PAYMENTS)
def expire_stale_payments(task: ServiceTask) -> int:
    """Hourly. Pending payments whose link has closed are expired (and a first purchase offered again, once): the
    sandbox's only expiry, and Razorpay's when its expiry webhook was missed. Pending payments still without a link
    get another try, or fail once their link would have closed anyway. Returns how many were expired."""
    service = task.service
    now = utcnow()
    with service.backends.sessions() as session, session.begin():
        stale = session.scalars(select(Payment).where(
            Payment.status == "pending", Payment.expires_at < now - EXPIRY_GRACE)
            .order_by(Payment.id).with_for_update(skip_locked=True)).all()
        for payment in stale:
            expire(service, session, payment, "link expired")
        linkless = session.scalars(select(Payment).where(
            Payment.status == "pending", Payment.link_url.is_(None), Payment.created_at < now - LINK_SWEEP_AFTER)
            .order_by(Payment.id).with_for_update(skip_locked=True)).all()
        for payment in linkless:
            if payment.created_at < now - timedelta(hours=service.settings.payment_link_ttl_hours):
                payment.status, payment.failure_reason = "failed", "no payment link could be made in time"
            else:
                after_commit(session, lambda payment_id=payment.id: service.tasks.send_payment_link(payment_id))
    if stale:
        log.info("expired %d payment(s) whose link closed", len(stale))
    return len(stale)


@TASKS.task(REMIND_RENEWALS)
def remind_renewals(task: ServiceTask) -> int:
    """Daily. Each active plan ending within three days (local dates) gets a renewal Payment and ONE reminder SMS
    with its link: one per subscription however often this runs, and a day missed is caught up the next. Farmers
    without consent, who said STOP, or who already have the next plan queued (a paid renewal) get none.
    Returns how many subscriptions were due."""
    service = task.service
    zone = ZoneInfo(service.settings.timezone)
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
    with service.backends.sessions() as session, session.begin():
        subscriptions = session.scalars(due).all()
        for subscription in subscriptions:
            if not subscription.plan.active:
                continue  # a plan no longer sold is not offered again
            start_payment(service, session, farmer_id=subscription.farmer_id, plan=subscription.plan,
                          purpose="renewal", idempotency_key=f"renewal:subscription:{subscription.id}")
    return len(subscriptions)
