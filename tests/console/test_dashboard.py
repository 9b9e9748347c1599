"""The dashboard as an operator opens it: the figures of the window shown as numbers and SVG charts, the window
switch, no phone number anywhere, and the sign-in asked for first."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from farmdb.models import InboundMessage, OutboundMessage, Payment, UssdSession
from farmdb.types import utcnow

PHONE = "+919812345678"


def _out(n, status, provider, ago=timedelta(hours=1)):
    return OutboundMessage(idempotency_key=f"d:{n}", phone=PHONE, body="hi", locale="en", category="service_implicit",
                           purpose="reply", provider=provider, status=status, encoding="GSM-7", segments=1,
                           estimated_cost=Decimal("0.25"), created_at=utcnow() - ago)


@pytest.fixture
def traffic(db):
    three_days = timedelta(days=3)
    with db.begin():
        db.add_all([
            UssdSession(session_id="s1", phone=PHONE, status="Success"),
            UssdSession(session_id="s2", phone=PHONE, status="Incomplete", exit_screen="register_district"),
            UssdSession(session_id="s3", phone=PHONE, status="Incomplete", exit_screen="register_district",
                        ended_at=utcnow() - three_days),
            InboundMessage(provider="twilio", provider_message_id="SM1", phone=PHONE, text="mandi bhav",
                           intent="market_price"),
            _out(1, "delivered", "africastalking"), _out(2, "delivered", "africastalking"),
            _out(3, "failed", "africastalking"), _out(4, "delivered", "plivo"),
            _out(5, "delivered", "plivo", three_days),
            Payment(amount_minor=14900, currency="INR", purpose="subscription", provider="sandbox", status="paid",
                    idempotency_key="p1", paid_at=utcnow()),
        ])


def _figure(page: str, label: str) -> str:
    found = re.search(rf'<span class="big">([\d,]+)</span> {re.escape(label)}</div>', page)
    return found[1] if found else None


def test_the_last_day_as_a_viewer(signed_in, traffic):
    page = signed_in("viewer").text("/console/dashboard")
    assert _figure(page, "USSD sessions") == "2" and _figure(page, "SMS in") == "1"
    assert _figure(page, "SMS out") == "4" and _figure(page, "DLT refusals") == "0"
    assert page.count("<svg class=\"chart\"") >= 4
    assert ">register_district</text>" in page and ">market_price</text>" in page
    assert "66.7%" in page and "100.0%" in page  # africastalking 2 of 3, plivo 1 of 1
    assert "1.00 INR" in page  # four messages handed over at 0.25
    assert "149.00 INR" in page  # revenue, from paise
    assert "+91" not in page and "9812345678" not in page
    assert ' style="' not in page  # the CSP would drop it


def test_the_week_counts_what_the_day_leaves_out(signed_in, traffic):
    page = signed_in("viewer").text("/console/dashboard?window=week")
    assert _figure(page, "USSD sessions") == "3" and _figure(page, "SMS out") == "5"
    assert re.search(r'>register_district</text><rect [^>]*/><text class="number"[^>]*>2</text>', page)
    assert 'aria-current="page">last week' in page


def test_an_unknown_window_is_the_day_and_an_empty_one_says_so(signed_in):
    page = signed_in("viewer").text("/console/dashboard?window=year")
    assert 'aria-current="page">last day' in page
    assert "No USSD sessions in this window." in page and _figure(page, "USSD sessions") == "0"


def test_not_signed_in_goes_to_the_login(console):
    response = console.get("/console/dashboard")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]
