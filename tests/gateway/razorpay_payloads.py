"""Razorpay webhooks for the bad-input table: a payment link paid, shaped as Razorpay's documented sample, and the same
signed with our secret but carrying what Razorpay never sends."""
from __future__ import annotations

import hashlib
import hmac
import json

RAZORPAY_SECRET = "whsec_kheti_bad_input"
LINK = "plink_Bad1"  # the pending payment the test app has


def sign(body: bytes) -> str:
    return hmac.new(RAZORPAY_SECRET.encode(), body, hashlib.sha256).hexdigest()


def link_paid(event="payment_link.paid", link_id=LINK, amount_paid=9900, currency="INR", payment_id="pay_Bad1"):
    link = {"id": link_id, "amount": 9900, "amount_paid": amount_paid, "currency": currency, "status": "paid",
            "reference_id": "kheti-payment-1", "short_url": "https://rzp.io/rzp/bad1", "upi_link": True}
    payment = {"id": payment_id, "entity": "payment", "amount": 9900, "currency": "INR", "status": "captured",
               "method": "upi", "description": "#Bad1"}
    return {"entity": "event", "account_id": "acc_Test0000000001", "event": event,
            "contains": ["payment_link", "order", "payment"],
            "payload": {"payment_link": {"entity": link}, "payment": {"entity": payment}}, "created_at": 1763703600}


def payment_failed(reason) -> dict:
    payment = {"id": "pay_Bad2", "entity": "payment", "amount": 9900, "currency": "INR", "status": "failed",
               "method": "upi", "description": "#Bad1", "error_code": "BAD_REQUEST_ERROR",
               "error_description": reason}
    return {"entity": "event", "event": "payment.failed", "contains": ["payment"],
            "payload": {"payment": {"entity": payment}}, "created_at": 1763703600}


def _body(document) -> bytes:
    return json.dumps(document).encode()


GOOD = _body(link_paid())
UNREADABLE = "not a Razorpay event we can read"

# (what, signed body, X-Razorpay-Event-Id, what the 400 says)
RAZORPAY_CASES = [
    ("nested deeply", b'{"event": "payment_link.paid", "payload": ' + b"[" * 30_000, "evt_1", UNREADABLE),
    ("a link id that is a number", _body(link_paid(link_id=12345)), "evt_1", UNREADABLE),
    ("a link id with NUL", _body(link_paid(link_id="plink_\x00Bad1")), "evt_1", UNREADABLE),
    ("a link id longer than its column", _body(link_paid(link_id="plink_" + "x" * 64)), "evt_1", UNREADABLE),
    ("an event name with NUL", _body(link_paid(event="payment_link.paid\x00")), "evt_1", UNREADABLE),
    ("an event name that is half a character", _body(link_paid(event="\ud800")), "evt_1", UNREADABLE),
    ("an event name longer than its column", _body(link_paid(event="payment_link." + "x" * 40)), "evt_1",
     UNREADABLE),
    ("an amount in words", _body(link_paid(amount_paid="9900")), "evt_1", UNREADABLE),
    ("an amount too big", _body(link_paid(amount_paid=10**30)), "evt_1", UNREADABLE),
    ("a negative amount", _body(link_paid(amount_paid=-9900)), "evt_1", UNREADABLE),
    ("a currency longer than its column", _body(link_paid(currency="INRR")), "evt_1", UNREADABLE),
    ("a payment id with NUL", _body(link_paid(payment_id="pay_\x00")), "evt_1", UNREADABLE),
    ("a failure reason that is not text", _body(payment_failed({"code": 1})), "evt_1", UNREADABLE),
    ("an event id with NUL", GOOD, "evt_\x00x", "X-Razorpay-Event-Id"),
    ("an event id with a control character", GOOD, "evt_\x1bx", "X-Razorpay-Event-Id"),
    ("an event id not in ASCII", GOOD, "evt_\xe9\xff", "X-Razorpay-Event-Id"),
    ("an event id longer than its column", GOOD, "evt_" + "x" * 61, "X-Razorpay-Event-Id"),
]
