"""The dashboard's figures from rows put in the database: each one right for the last day and the last week, and a
row just outside the window left out."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from farmdb.models import CallLog, ExpertRequest, InboundMessage, OutboundMessage, Payment, UssdSession
from service import figures

NOW = datetime(2026, 11, 21, 6, 30, tzinfo=timezone.utc)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
JUST_OUT_OF_DAY = DAY + timedelta(seconds=1)
JUST_OUT_OF_WEEK = 7 * DAY + timedelta(seconds=1)


def _session(n, ago, status="Success", exit_screen=None):
    return UssdSession(session_id=f"ATUid_{n}", phone="+919812345678", status=status, exit_screen=exit_screen,
                       ended_at=NOW - ago)


def _sms_in(n, ago, intent):
    return InboundMessage(provider="africastalking", provider_message_id=f"in-{n}", phone="+919812345678",
                          text="PRICE onion", intent=intent, received_at=NOW - ago)


def _sms_out(n, ago, status, provider="africastalking", cost="0.2000", error=None):
    return OutboundMessage(idempotency_key=f"test:{n}", phone="+919812345678", body="hello", locale="en",
                           category="service_implicit", purpose="reply", provider=provider, status=status,
                           encoding="GSM-7", segments=1, estimated_cost=Decimal(cost) if cost else None,
                           last_error=error, created_at=NOW - ago, updated_at=NOW - ago)


def _payment(n, ago, status, amount=9900, paid=True):
    return Payment(amount_minor=amount, currency="INR", purpose="subscription", provider="sandbox",
                   provider_ref=f"plink_{n}", status=status, idempotency_key=f"pay:{n}", created_at=NOW - ago,
                   paid_at=(NOW - ago) if status == "paid" and paid else None)


def _call(n, ago, cost):
    return CallLog(provider="twilio", call_id=f"CA{n}", kind="hotline", direction="inbound", phone="+919812345678",
                   status="completed", cost=Decimal(cost), cost_currency="USD", created_at=NOW - ago)


def _ticket(n, ago, status="open", kind="callback"):
    return ExpertRequest(ticket=f"T{n}", kind=kind, channel="ussd", status=status, created_at=NOW - ago)


@pytest.fixture
def busy(db):
    """A day and a week of traffic, and one of each kind of row a second too old for the week."""
    with db.begin():
        db.add_all([
            _session(1, HOUR), _session(2, 2 * HOUR, "Incomplete", "prices_crop"),
            _session(3, 3 * HOUR, "Incomplete", "prices_crop"), _session(4, 4 * HOUR, "Failed", "weather"),
            _session(5, JUST_OUT_OF_DAY, "Incomplete", "register_name"), _session(6, 3 * DAY, "Incomplete", None),
            _session(7, JUST_OUT_OF_WEEK, "Incomplete", "prices_crop"),
            _sms_in(1, HOUR, "price"), _sms_in(2, HOUR, "price"), _sms_in(3, HOUR, "weather"),
            _sms_in(4, JUST_OUT_OF_DAY, None), _sms_in(5, JUST_OUT_OF_WEEK, "price"),
            _sms_out(1, HOUR, "delivered"), _sms_out(2, HOUR, "delivered"), _sms_out(3, HOUR, "delivered"),
            _sms_out(4, HOUR, "failed"), _sms_out(5, HOUR, "delivered", "plivo", "0.1500"),
            _sms_out(6, HOUR, "sent", "plivo", "0.1500"),
            _sms_out(7, HOUR, "failed", None, error="DLT: no registered service_implicit template matches"),
            _sms_out(8, HOUR, "queued", None),
            _sms_out(9, JUST_OUT_OF_DAY, "undelivered", "plivo", "0.1500"),
            _sms_out(10, JUST_OUT_OF_WEEK, "delivered"),
            _sms_out(11, 2 * DAY, "failed", None, error="DLT: template mismatch"),
            _payment(1, HOUR, "paid"), _payment(2, HOUR, "pending"), _payment(3, JUST_OUT_OF_DAY, "paid", 4900),
            _payment(4, JUST_OUT_OF_WEEK, "paid", 100000),
            _call(1, HOUR, "0.0130"), _call(2, JUST_OUT_OF_DAY, "0.0200"), _call(3, JUST_OUT_OF_WEEK, "5.0000"),
            _ticket(1, HOUR), _ticket(2, 2 * DAY, "assigned"), _ticket(3, 3 * DAY, "closed"),
        ])


def test_the_last_day(db, busy):
    day = figures.for_window(db, "day", NOW)
    assert day.since == NOW - DAY
    assert day.ussd == {"Success": 1, "Incomplete": 2, "Failed": 1}
    assert day.drop_offs == [("prices_crop", 2), ("weather", 1)]
    assert day.sms_in == 3 and day.intents == [("price", 2), ("weather", 1)]
    assert day.sms_out == {"delivered": 4, "failed": 2, "sent": 1, "queued": 1} and day.sms_out_total == 8
    at, plivo = day.delivery
    assert (at.provider, at.delivered, at.failed, at.pending, at.rate) == ("africastalking", 3, 1, 0, 0.75)
    assert (plivo.provider, plivo.delivered, plivo.pending, plivo.rate) == ("plivo", 1, 1, 0.5)
    assert day.dlt_refusals == 1
    # Handed to a provider: 4 x 0.20 + 2 x 0.15; the refused and the queued ones cost nothing.
    assert day.sms_spent == Decimal("1.1")
    assert day.call_spent == {"USD": Decimal("0.013")}
    assert day.payments == {"paid": 1, "pending": 1} and day.revenue == {"INR": 9900}
    assert (day.tickets_open, day.tickets_overdue) == (2, 1)  # a call-back promised in 24 h, waiting 2 days


def test_the_last_week(db, busy):
    week = figures.for_window(db, "week", NOW)
    assert week.ussd == {"Success": 1, "Incomplete": 4, "Failed": 1}
    # Where the screen is not known (a session from before exit_screen was kept) comes last among equals.
    assert week.drop_offs == [("prices_crop", 2), ("register_name", 1), ("weather", 1), (None, 1)]
    assert week.sms_in == 4 and week.intents == [("price", 2), (None, 1), ("weather", 1)]
    assert week.sms_out == {"delivered": 4, "failed": 3, "sent": 1, "queued": 1, "undelivered": 1}
    plivo = week.delivery[1]
    assert (plivo.delivered, plivo.failed, plivo.pending) == (1, 1, 1)
    assert week.dlt_refusals == 2
    assert week.sms_spent == Decimal("1.25")
    assert week.call_spent == {"USD": Decimal("0.033")}
    assert week.payments == {"paid": 2, "pending": 1} and week.revenue == {"INR": 14800}


def test_an_empty_window_is_all_zero(db):
    day = figures.for_window(db, "day", NOW)
    assert (day.ussd, day.drop_offs, day.sms_in, day.sms_out, day.delivery, day.revenue) == ({}, [], 0, {}, [], {})
    assert day.sms_spent == 0 and day.tickets_open == 0


def test_totals_over_all_time_and_the_queue_now(db, busy):
    with db.begin():
        # Deferred to its send window an hour from now: queued, but not late.
        db.add(_sms_out(12, 5 * HOUR, "queued", None))
        db.get(OutboundMessage, db.query(OutboundMessage.id).filter_by(idempotency_key="test:12").scalar()) \
            .send_after = NOW + HOUR
    total = figures.totals(db, NOW)
    assert total.sms_out[("africastalking", "delivered")] == 4 and total.sms_out[("none", "failed")] == 2
    assert total.sms_in == 5 and total.dlt_refusals == 2
    assert total.ussd == {"Success": 1, "Incomplete": 5, "Failed": 1}
    assert total.exits == {"prices_crop": 3, "weather": 1, "register_name": 1, "unknown": 1}
    assert total.payments == {"paid": 3, "pending": 1} and total.revenue == {"INR": 114800}
    assert (total.tickets_open, total.tickets_overdue) == (2, 1)
    assert total.queued == 2 and total.oldest_queued_s == HOUR.total_seconds()
