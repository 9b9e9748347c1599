"""The rules every outbound SMS obeys, when it is queued and again when it is sent: segments and estimated cost by
encoding, opt-out and consent, quiet hours."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from farmdb.models import Farmer, OutboundMessage
from service.outbox import queue_sms
from workers.sending import send_batch

UTC = timezone.utc
NIGHT = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)  # 01:30 in India
MORNING = datetime(2026, 11, 22, 4, 30, tzinfo=UTC)  # 10:00 in India, when the window opens
ADVISORY = "Kheti Sahayak, Soybean: Spray neem oil 5 ml per litre against leaf eaters. Reply STOP to stop these SMS."


@pytest.fixture(autouse=True)
def _noon(clock):
    """The console sender, default windows and price, at a pinned noon."""


def _queue(service, db, *, farmer_id=None, category="service_explicit", body=ADVISORY, key="rules:1", now=NIGHT):
    return queue_sms(service, db, phone="+919812345678", body=body, locale="en", category=category, purpose="advisory",
                     idempotency_key=key, farmer_id=farmer_id, now=now)


def _row(sessions, message_id) -> OutboundMessage:
    with sessions() as db:
        return db.get(OutboundMessage, message_id)


@pytest.mark.parametrize("body, encoding, segments", [
    ("Kheti Sahayak: " + "a" * 145, "GSM-7", 1),  # 160
    ("Kheti Sahayak: " + "a" * 146, "GSM-7", 2),  # 161: two parts of 153
    ("Kheti Sahayak: " + "[" * 72 + "a", "GSM-7", 1),  # extension characters count twice: 15 + 144 + 1
    ("Kheti Sahayak: " + "[" * 73, "GSM-7", 2),
    ("खेती सहायक: " + "क" * 58, "UCS-2", 1),  # 70
    ("खेती सहायक: " + "क" * 59, "UCS-2", 2),  # 71: two parts of 67
])
def test_segments_and_estimated_cost_are_stored_by_encoding(sessions, body, encoding, segments, service):
    with sessions() as db, db.begin():
        message_id = queue_sms(service, db, phone="+919812345678", body=body, locale="hi", category="service_implicit",
                               purpose="reply", idempotency_key="rules:length").id
    row = _row(sessions, message_id)
    assert (row.encoding, row.segments, row.estimated_cost) == (encoding, segments, Decimal("0.20") * segments)
    assert row.status == "sent"


def test_an_opted_out_farmer_gets_no_advisory_but_still_gets_receipts(sessions, register_farmer, service):
    farmer_id = register_farmer()
    with sessions() as db, db.begin():
        db.execute(update(Farmer).where(Farmer.id == farmer_id).values(sms_opted_out=True))
    with sessions() as db, db.begin():
        advisory = _queue(service, db, farmer_id=farmer_id).id
        receipt = _queue(service, db, farmer_id=farmer_id, category="service_implicit", key="rules:receipt",
                         body="Kheti Sahayak: ₹99 received for Kharif plan. Your advice plan runs till 1 Jan 2027. "
                              "Thank you!").id
    assert (_row(sessions, advisory).status, _row(sessions, advisory).last_error) == \
        ("cancelled", "farmer opted out of SMS")
    assert _row(sessions, receipt).status == "sent"


def test_an_advisory_at_night_waits_for_the_window_then_goes(sessions, register_farmer, clock, tasks, service):
    farmer_id = register_farmer()
    with sessions() as db, db.begin():
        message_id = _queue(service, db, farmer_id=farmer_id).id  # 01:30 in India: held, no task queued
    row = _row(sessions, message_id)
    assert (row.status, row.send_after, row.attempts) == ("queued", MORNING, 0)
    clock.set(NIGHT)
    assert tasks.send_sms(message_id) == "queued"  # a stray task before the window sends nothing
    clock.set(MORNING)
    assert tasks.sweep_outbox(now=datetime(2026, 11, 22, 4, 0, tzinfo=UTC).isoformat())["released"] == 0
    assert tasks.sweep_outbox(now=MORNING.isoformat())["released"] == 1
    row = _row(sessions, message_id)
    assert (row.status, row.send_after, row.attempts) == ("sent", None, 1)


def test_a_reply_at_night_goes_at_once(sessions, service):
    with sessions() as db, db.begin():
        message_id = _queue(service, db, category="service_implicit", body="Kheti Sahayak: your ticket is KS-1234.").id
    assert _row(sessions, message_id).status == "sent"


def test_the_rules_are_checked_again_when_the_message_is_sent(settings, backends, sessions, register_farmer, service):
    """Queued in the window; by the time a worker takes it the farmer stopped SMS, withdrew consent, or the window
    closed: the message follows the farmer's latest word, and the window."""
    opted, withdrawn, late = (register_farmer(phone=f"+91981234567{i}") for i in range(3))
    ids = {}
    with sessions() as db, db.begin():
        for name, farmer_id in (("opted", opted), ("withdrawn", withdrawn), ("late", late)):
            row = OutboundMessage(idempotency_key=f"rules:{name}", phone=f"+9198123456{farmer_id:02d}",
                                  farmer_id=farmer_id, body=ADVISORY, locale="en", category="service_explicit",
                                  purpose="advisory", encoding="GSM-7", segments=1, status="queued", attempts=0)
            db.add(row)
            db.flush()
            ids[name] = row.id
        db.execute(update(Farmer).where(Farmer.id == opted).values(sms_opted_out=True))
        db.get(Farmer, withdrawn).withdraw_consent("sms", "sms.delete.confirm")
    outcome = send_batch(service, list(ids.values()), now=NIGHT)
    assert outcome.statuses == {ids["opted"]: "cancelled", ids["withdrawn"]: "cancelled", ids["late"]: "queued"}
    assert _row(sessions, ids["withdrawn"]).last_error == "farmer has not consented"
    assert _row(sessions, ids["late"]).send_after == MORNING


def test_an_unknown_category_is_a_programming_error(sessions, service):
    with sessions() as db, pytest.raises(ValueError):
        _queue(service, db, category="spam")


def test_rows_are_claimed_once_even_by_racing_batches(settings, backends, sessions, service):
    with sessions() as db, db.begin():
        message_id = _queue(service, db, category="service_implicit", key="rules:race",
                            body="Kheti Sahayak: your ticket is KS-1234.").id
    assert send_batch(service, [message_id]).statuses == {message_id: "sent"}  # already sent: nothing
    with sessions() as db:
        assert db.scalar(select(OutboundMessage.attempts).where(OutboundMessage.id == message_id)) == 1
