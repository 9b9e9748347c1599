"""Tasks carry ids, not objects: the row is read fresh, under a lock, when the task runs."""
from __future__ import annotations

import logging

from sqlalchemy import select

from farmdb.models import OutboundMessage
from farmdb.types import utcnow
from workers import runtime
from workers.celery_app import celery
from workers.senders import sender_for

log = logging.getLogger(__name__)


@celery.task(name="workers.tasks.send_sms")
def send_sms(message_id: int) -> str:
    """Send one queued outbox row at most once: a second run of the same task finds it no longer queued."""
    settings, backends = runtime.current()
    with backends.sessions() as session, session.begin():
        message = session.scalar(
            select(OutboundMessage).where(OutboundMessage.id == message_id).with_for_update()
        )
        if message is None:
            log.warning("outbox row vanished before sending", extra={"outbound_id": message_id})
            return "missing"
        if message.status != "queued":
            return message.status
        message.status, message.attempts = "sending", message.attempts + 1
    # The row says "sending" before the provider is called: a crash from here on is the at-least-once window.
    receipt = sender_for(settings).send(message)
    with backends.sessions() as session, session.begin():
        message = session.get(OutboundMessage, message_id)
        message.provider, message.provider_message_id = receipt.provider, receipt.provider_message_id
        message.status, message.provider_status = receipt.status, receipt.provider_status
        message.cost, message.cost_currency = receipt.cost, receipt.cost_currency
        message.sent_at = utcnow()
    return receipt.status


@celery.task(name="workers.tasks.send_payment_link")
def send_payment_link(payment_id: int) -> str:
    """Give a pending payment its link and SMS it to the farmer. Until a real payment provider is configured the
    link is the sandbox's: a local page where the payment can be marked paid."""
    from dialogs.texts import N_, texts
    from farmdb.models import Payment
    from workers.outbox import queue_sms
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
