"""Delivery receipts move a message only forward, whatever order and however often providers send them; opt-outs
stop SMS to a farmer."""
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from farmdb.models import Farmer, OutboundMessage
from farmdb.types import utcnow
from service.logs import JsonFormatter
from service.providers.africastalking import STATUSES as AT_STATUSES
from service.providers.twilio import STATUSES as TWILIO_STATUSES
from service.receipts import apply_receipt, opt_out

AT, TW = "africastalking", "twilio"


def _message(sessions, provider=AT, ref="ATXid_1", status="queued", provider_status=None, last_error=None) -> int:
    """An outbox row as a provider's sender leaves it after the hand-over."""
    with sessions() as db, db.begin():
        message = OutboundMessage(
            idempotency_key=f"test:{provider}:{ref}", phone="+919812345678", body="Kheti Sahayak: Kal barish ho sakti hai.",
            locale="hi", category="service_implicit", purpose="reply", encoding="GSM-7", segments=1, attempts=1,
            provider=provider, provider_message_id=ref, status=status, provider_status=provider_status,
            last_error=last_error)
        db.add(message)
        db.flush()
        return message.id


def _receipt(sessions, provider, status, ref="ATXid_1", error=None) -> str:
    with sessions() as db, db.begin():
        return apply_receipt(db, provider=provider, provider_message_id=ref, provider_status=status, error=error)


def _row(sessions, message_id) -> OutboundMessage:
    with sessions() as db:
        return db.get(OutboundMessage, message_id)


# Every provider status, applied to a message still queued: (provider, provider status, error, our status, last_error)
MAPPING = [
    (AT, "Sent", None, "sent", None),
    (AT, "Submitted", None, "sent", None),
    (AT, "Buffered", None, "sent", None),
    (AT, "Success", None, "delivered", None),
    (AT, "Rejected", "UserInBlackList", "failed", "UserInBlackList"),
    (AT, "Failed", "DeliveryFailure", "failed", "DeliveryFailure"),
    (TW, "accepted", None, "queued", None),
    (TW, "scheduled", None, "queued", None),
    (TW, "queued", None, "queued", None),
    (TW, "sending", None, "sending", None),
    (TW, "sent", None, "sent", None),
    (TW, "partially_delivered", None, "sent", None),  # not a delivery we can claim; a final word may follow
    (TW, "delivered", None, "delivered", None),
    (TW, "read", None, "delivered", None),
    (TW, "undelivered", "30003", "undelivered", "30003"),
    (TW, "failed", "30008", "failed", "30008"),
    (TW, "canceled", None, "failed", None),
    (TW, "receiving", None, "queued", None),  # inbound statuses: kept, ours unchanged
    (TW, "received", None, "queued", None),
]


@pytest.mark.parametrize("provider, word, error, status, last_error", MAPPING)
def test_every_provider_status_maps_onto_ours(sessions, provider, word, error, status, last_error):
    message_id = _message(sessions, provider, "ref-1")
    assert _receipt(sessions, provider, word, "ref-1", error) == "updated"
    row = _row(sessions, message_id)
    assert (row.status, row.provider_status, row.last_error) == (status, word, last_error)
    assert (row.delivered_at is not None) == (status == "delivered")


def test_the_tables_cover_every_documented_status():
    assert set(AT_STATUSES) == {"Sent", "Submitted", "Buffered", "Success", "Rejected", "Failed"}
    assert set(TWILIO_STATUSES) == {"queued", "sending", "sent", "delivered", "undelivered", "failed", "receiving",
                                    "received", "accepted", "scheduled", "read", "partially_delivered", "canceled"}
    assert {row[1] for row in MAPPING} == set(AT_STATUSES) | set(TWILIO_STATUSES)


# (provider, row status, row provider_status, receipt, expected status, expected provider_status, result)
NEVER_BACKWARDS = [
    (AT, "delivered", "Success", "Sent", "delivered", "Success", "unchanged"),  # a late "Sent" after "Success"
    (AT, "delivered", "Success", "Failed", "delivered", "Success", "unchanged"),  # final is final
    (AT, "failed", "Rejected", "Success", "failed", "Rejected", "unchanged"),
    (AT, "sent", "Sent", "Buffered", "sent", "Buffered", "updated"),  # same step, the newer word
    (AT, "sending", None, "Submitted", "sent", "Submitted", "updated"),
    (TW, "delivered", "delivered", "sent", "delivered", "delivered", "unchanged"),
    (TW, "failed", "failed", "delivered", "failed", "failed", "unchanged"),
    (TW, "undelivered", "undelivered", "failed", "undelivered", "undelivered", "unchanged"),
    (TW, "sent", "sent", "queued", "sent", "sent", "unchanged"),
    (TW, "sent", "sent", "sending", "sent", "sent", "unchanged"),
    (TW, "sent", "sent", "delivered", "delivered", "delivered", "updated"),
    (TW, "delivered", "delivered", "received", "delivered", "delivered", "unchanged"),
]


@pytest.mark.parametrize("provider, start, start_word, word, status, kept_word, result", NEVER_BACKWARDS)
def test_a_message_never_moves_backwards(sessions, provider, start, start_word, word, status, kept_word, result):
    message_id = _message(sessions, provider, "ref-2", status=start, provider_status=start_word)
    assert _receipt(sessions, provider, word, "ref-2") == result
    row = _row(sessions, message_id)
    assert (row.status, row.provider_status) == (status, kept_word)


def test_a_repeated_receipt_changes_nothing_the_second_time(sessions):
    message_id = _message(sessions, status="sent")
    assert _receipt(sessions, AT, "Success") == "updated"
    first = _row(sessions, message_id).delivered_at
    assert first is not None and first.utcoffset() == timedelta(0) and utcnow() - first < timedelta(minutes=1)
    for _ in range(3):  # AT re-sends for ~10 minutes
        assert _receipt(sessions, AT, "Success") == "unchanged"
    assert _row(sessions, message_id).delivered_at == first


def test_the_failure_reason_is_kept_and_not_overwritten_by_a_repeat(sessions):
    message_id = _message(sessions, status="sent")
    assert _receipt(sessions, AT, "Failed", error="UserInBlackList") == "updated"
    assert _receipt(sessions, AT, "Rejected", error="InsufficientCredit") == "unchanged"
    row = _row(sessions, message_id)
    assert (row.status, row.provider_status, row.last_error) == ("failed", "Failed", "UserInBlackList")


def test_an_error_on_a_success_is_not_a_failure(sessions):
    message_id = _message(sessions, TW, "SM1", status="sent")
    _receipt(sessions, TW, "delivered", "SM1", error="30008")
    assert (_row(sessions, message_id).status, _row(sessions, message_id).last_error) == ("delivered", None)


@pytest.mark.parametrize("provider, word", [(AT, "Expired"), (AT, "success"), (TW, "bounced"), (AT, ""),
                                            (AT, "X" * 300)])
def test_an_unknown_status_is_kept_logged_and_changes_nothing_else(sessions, caplog, provider, word):
    message_id = _message(sessions, provider, "ref-3", status="sent", provider_status="Sent")
    assert _receipt(sessions, provider, word, "ref-3") == "unknown_status"
    row = _row(sessions, message_id)
    assert (row.status, row.provider_status, row.delivered_at) == ("sent", word[:40], None)
    assert any(r.levelno == logging.WARNING and "unknown delivery status" in r.getMessage() for r in caplog.records)


def test_an_unknown_status_does_not_reopen_a_final_message(sessions):
    message_id = _message(sessions, status="delivered", provider_status="Success")
    assert _receipt(sessions, AT, "Expired") == "unknown_status"
    assert (_row(sessions, message_id).status, _row(sessions, message_id).provider_status) == ("delivered", "Success")


def test_a_receipt_for_an_unknown_message_says_so(sessions):
    assert _receipt(sessions, AT, "Success", "ATXid_nobody") == "unknown_message"


def test_a_receipt_only_touches_its_own_provider(sessions):
    at_id = _message(sessions, AT, "same-ref", status="sent")
    assert _receipt(sessions, TW, "delivered", "same-ref") == "unknown_message"
    assert _row(sessions, at_id).status == "sent"


PHONE = "+919812345678"


def test_opt_out_stops_sms_to_the_farmer_and_keeps_the_first_time(sessions, register_farmer):
    register_farmer(phone=PHONE)
    with sessions() as db, db.begin():
        assert opt_out(db, PHONE, "sms", "test") is True
    with sessions() as db:
        first = db.scalar(select(Farmer.sms_opted_out_at).where(Farmer.phone == PHONE))
        assert db.scalar(select(Farmer.sms_opted_out).where(Farmer.phone == PHONE)) is True
    assert first.utcoffset() == timedelta(0) and utcnow() - first < timedelta(minutes=1)
    with sessions() as db, db.begin():
        assert opt_out(db, PHONE, "sms", "the same callback again") is True
    with sessions() as db:
        assert db.scalar(select(Farmer.sms_opted_out_at).where(Farmer.phone == PHONE)) == first


def test_opt_out_of_an_unknown_number_is_logged_masked(sessions, caplog):
    with sessions() as db, db.begin():
        assert opt_out(db, "+919800000001", "sms", "test") is False
    [record] = [r for r in caplog.records if "no farmer" in r.getMessage()]
    line = JsonFormatter().format(record)
    assert "+91******0001" in line and "9800000001" not in line
