"""Payments on the gateway: the sandbox provider's page, and Razorpay's webhook (gateway/razorpay.py, nested here).

The sandbox (PAYMENT_PROVIDER=sandbox, the embedded default): the link in a payment SMS opens a page here where
"Pay" marks the payment paid, until its link expires (workers.payments.expire_stale_payments). For trying the service
end to end: anyone with a link can pay it, so it is no way to take money; Razorpay is. The pages exist only while
payments run on the sandbox; the reference in the link is random (service.payment_providers.sandbox), and the button
carries a CSRF token (Flask-WTF's, as the console's forms), so another site cannot press it for a visitor.
"""
from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, redirect, render_template_string, url_for
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from farmdb.models import Payment
from farmdb.phones import mask_phone
from farmdb.types import utcnow
from gateway import context, razorpay, routes
from service.payments import mark_paid


def blueprint() -> Blueprint:
    bp = routes.blueprint("payments", __name__, (
        ("GET", "/sandbox/<ref>", sandbox_page),
        ("POST", "/sandbox/<ref>/pay", sandbox_pay),
    ), url_prefix="/payments")
    bp.register_blueprint(razorpay.blueprint())  # /payments/razorpay/webhook
    return bp


PAGE = """<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Kheti Sahayak: sandbox payment</title>
<body style="font-family:sans-serif;max-width:28rem;margin:2rem auto">
<h1>Sandbox payment</h1>
<p>{{ plan }}: <b>₹{{ rupees }}</b> for {{ days }} days, from {{ phone }}.</p>
<p>Status: <b id="status">{{ status }}</b></p>
{% if payable %}
<form method="post" action="{{ pay_url }}"><input type="hidden" name="csrf_token" value="{{ csrf_token }}">
<button type="submit">Pay ₹{{ rupees }} (sandbox)</button></form>
{% endif %}
<p><small>A test page: no money moves. Real payments use a payment provider.</small></p>
</body></html>"""


# The page's own: its inline style, its one form back here, nothing else.
PAGE_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; "
               "base-uri 'none'")
REF = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what sandbox references are made of: anything else names no payment


def _sandbox_ref(ref: str) -> str:
    """A 404 unless payments run on the sandbox and `ref` could be one of its references (no NUL or 10 kB reaches
    the database)."""
    if context.settings().payment_provider != "sandbox" or not REF.fullmatch(ref):
        abort(404, description="no such sandbox payment")
    return ref


def _payment(db, ref: str, *, lock: bool = False) -> Payment:
    query = select(Payment).where(Payment.provider == "sandbox", Payment.provider_ref == _sandbox_ref(ref))
    payment = db.scalar(query.with_for_update() if lock else query)
    if payment is None:
        abort(404, description="no such sandbox payment")
    return payment


def sandbox_page(ref: str):
    with context.service().backends.sessions() as db:
        payment = _payment(db, ref)
        plan = payment.plan
        page = render_template_string(
            PAGE, plan=plan.name_in("en"), rupees=payment.amount_minor // 100, days=plan.duration_days,
            phone=mask_phone(payment.farmer.phone) if payment.farmer else "(erased)", status=payment.status,
            payable=_payable(payment), pay_url=url_for("payments.sandbox_pay", ref=ref), csrf_token=generate_csrf())
    return page, {"Content-Security-Policy": PAGE_POLICY}


def sandbox_pay(ref: str):
    _sandbox_ref(ref)
    current_app.extensions["kheti_csrf"].protect()  # a 400 for a POST without the page's token
    service = context.service()
    with service.backends.sessions() as db, db.begin():
        payment = _payment(db, ref, lock=True)
        if _payable(payment):
            mark_paid(service, db, payment)
    return redirect(url_for("payments.sandbox_page", ref=ref), code=303)


def _payable(payment: Payment) -> bool:
    """Like a real link: pending and not past its expiry (the hourly sweep may not have marked it expired yet)."""
    return payment.status == "pending" and (payment.expires_at is None or payment.expires_at > utcnow())
