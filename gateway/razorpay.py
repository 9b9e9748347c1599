"""POST /payments/razorpay/webhook: Razorpay says a payment link was paid, expired, cancelled, or a payment on it
failed. Verified by its signature over the raw body, recorded once per X-Razorpay-Event-Id, and settled under the
payment's row lock, so a redelivered or repeated event changes nothing and sends nothing more.

Answers: 400 with a reason for what Razorpay did not send (bad or missing signature, a body we cannot read); 200 for
everything else, even an event we ignore, because Razorpay re-sends anything else and a re-send would not help.
"""
from __future__ import annotations

import dataclasses
import logging

from flask import Blueprint, abort, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from farmdb.models import Payment, PaymentEvent
from gateway import context, routes
from gateway.forms import Refused, check, value, whole, width, words
from service.context import Service
from service.payment_providers.razorpay import NAME, LinkEvent, WebhookRejected
from service.payments import expire, mark_paid

log = logging.getLogger(__name__)

# Razorpay's headers, and the values of its event as our rows keep them (gateway.forms): a signed event holding
# anything else is one we cannot read, a 400 before anything is recorded.
SIGNATURE = (value("X-Razorpay-Signature", limit=128, ascii=True),)  # hex; the SDK fails on other characters
EVENT_ID = (value("X-Razorpay-Event-Id", PaymentEvent.event_id, required=True, ascii=True),)
EVENT = (value("event", PaymentEvent.event, required=True), value("link_ref", Payment.provider_ref),
         value("provider_payment_id", Payment.provider_payment_id), value("currency", Payment.currency),
         whole("amount_minor", Payment.amount_minor, text=False, drop_bad=False),
         words("reason", width(Payment.failure_reason)))


def blueprint() -> Blueprint:
    # Nested in gateway.payments: /payments/razorpay/webhook
    return routes.blueprint("razorpay", __name__, (("POST", "/webhook", webhook),), url_prefix="/razorpay")


def webhook():
    service = context.service()
    if service.settings.payment_provider != NAME:
        abort(404, description="payments do not run on Razorpay here")
    try:
        check(request.headers, SIGNATURE)
    except Refused:
        return jsonify(error="bad X-Razorpay-Signature"), 400
    try:
        event = service.payment_provider().read_webhook(request.get_data(),
                                                        request.headers.get("X-Razorpay-Signature"))
        values = check(dataclasses.asdict(event), EVENT)
    except WebhookRejected as exc:
        log.warning("Razorpay webhook rejected: %s", exc)
        return jsonify(error=str(exc)), 400
    except Refused as refused:
        return jsonify(error=f"not a Razorpay event we can read: {refused}"), 400
    try:
        event_id = check(request.headers, EVENT_ID)["X-Razorpay-Event-Id"].strip()
    except Refused:
        event_id = ""
    if not event_id:
        return jsonify(error="missing or odd X-Razorpay-Event-Id"), 400
    event = dataclasses.replace(event, reason=values["reason"] or None)  # cleaned, and cut to its column
    with service.backends.sessions() as db, db.begin():
        record = PaymentEvent(provider=NAME, event_id=event_id, event=event.event)
        try:
            with db.begin_nested():
                db.add(record)
        except IntegrityError:
            log.info("Razorpay event %s seen before: ignored", event_id, extra={"event": event.event})
            return jsonify(result="duplicate")
        payment = None
        if event.link_ref is not None:
            payment = db.scalar(select(Payment).where(Payment.provider == NAME, Payment.provider_ref == event.link_ref)
                                .with_for_update())
        if payment is None:
            log.info("Razorpay %s not about one of our links: ignored", event.event, extra={"event_id": event_id})
            return jsonify(result="ignored")
        record.payment_id = payment.id
        result = _settle(service, db, payment, event)
    return jsonify(result=result)


def _settle(service: Service, db: Session, payment: Payment, event: LinkEvent) -> str:
    about = {"payment_id": payment.id, "event": event.event}
    if event.outcome == "paid":
        if (event.amount_minor, event.currency) != (payment.amount_minor, payment.currency):
            # Never start a plan for money we did not ask for; someone must look at it.
            log.error("Razorpay paid %s %s for a payment of %s %s: not activated", event.amount_minor,
                      event.currency, payment.amount_minor, payment.currency, extra=about)
            payment.failure_reason = f"paid {event.amount_minor} {event.currency}: amount does not match"
            return "amount_mismatch"
        payment.provider_payment_id = event.provider_payment_id
        return "paid" if mark_paid(service, db, payment) else "already_paid"
    if event.outcome == "expired":
        if payment.status != "pending":
            log.info("Razorpay link closed on a %s payment: nothing to do", payment.status, extra=about)
            return payment.status
        expire(service, db, payment, event.reason)
        return "expired"
    if event.outcome == "failed":
        # A failed UPI attempt leaves the link payable (the farmer may try again at once, or with another app):
        # keep the reason for support, and no SMS per attempt. If it is never paid, its expiry sends the retry SMS.
        if payment.status == "pending":
            payment.failure_reason = event.reason
        return "recorded"
    # partially_paid: UPI links take no part payments, so this is not ours to settle; keep it visible.
    log.warning("Razorpay %s on a %s payment: not settled", event.event, payment.status, extra=about)
    payment.failure_reason = event.reason
    return "ignored"
