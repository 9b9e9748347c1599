"""Simulated phones (SIMULATOR_NUMBERS): the range as the operator writes it, and nothing for such a number ever
handed to a provider, whichever path it takes (a reply, a broadcast row at send time, a missed-call ring)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from farmdb.models import CallLog, OutboundMessage
from service.missed_calls import missed_call
from service.outbox import queue_sms
from service.settings import Settings, SettingsError
from service.simulated_phones import NOT_SENT, is_simulated, number_range, operators_phone
from workers.sending import send_batch

SIMULATED = "+919999900042"


@pytest.mark.parametrize("raw, inside, outside", [
    ("+919999900000-+919999900099", ["+919999900000", "+919999900099"], ["+919999900100", "+91999990000"]),
    ("+254700000010", ["+254700000010"], ["+254700000011"]),  # one number
])
def test_a_range_holds_its_ends_and_nothing_else(raw, inside, outside):
    numbers = number_range(raw)
    assert all(n in numbers for n in inside) and not any(n in numbers for n in outside)
    assert str(number_range(str(numbers))) == str(numbers)


@pytest.mark.parametrize("raw, says", [
    ("919999900000-919999900099", "write a range"), ("+919999900099-+919999900000", "ends before it starts"),
    ("+91999990000-+919999900099", "as many digits"), ("+910000000000-+919999999999", "at most"),
])
def test_a_bad_range_names_the_variable(raw, says):
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"SIMULATOR_NUMBERS": raw})
    assert "SIMULATOR_NUMBERS" in str(refused.value) and says in str(refused.value)


def test_each_operator_gets_their_own_number_from_the_range(settings):
    assert operators_phone(settings, 1) != operators_phone(settings, 2)
    assert all(is_simulated(settings, operators_phone(settings, n)) for n in range(250))
    assert not is_simulated(settings, "+919812345678") and not is_simulated(settings, None)


@pytest.fixture
def handed_over(monkeypatch):
    from service.providers.console import Console
    given = []
    original = Console.send
    monkeypatch.setattr(Console, "send", lambda self, message: given.append(message) or original(self, message))
    return given


def test_a_reply_to_a_simulated_phone_is_kept_not_sent(service, sessions, handed_over):
    with sessions() as db, db.begin():
        row = queue_sms(service, db, phone=SIMULATED, body="Kheti Sahayak: Kal barish ho sakti hai.", locale="hi",
                        category="service_implicit", purpose="reply", idempotency_key="sim:1")
        real = queue_sms(service, db, phone="+919812345678", body="Kheti Sahayak: Kal barish ho sakti hai.",
                         locale="hi", category="service_implicit", purpose="reply", idempotency_key="sim:2")
        ids = row.id, real.id
    with sessions() as db:
        kept, sent = (db.get(OutboundMessage, i) for i in ids)
        assert (kept.status, kept.last_error, kept.provider_message_id) == ("cancelled", NOT_SENT, None)
        assert sent.status == "sent"
    assert [m.phone for m in handed_over] == ["+919812345678"]


def test_a_row_queued_for_a_simulated_phone_any_other_way_is_stopped_at_send_time(service, sessions, handed_over):
    """A broadcast writes its rows in bulk, without the outbox's rules: the sender's last check stops them."""
    with sessions() as db, db.begin():
        row = OutboundMessage(idempotency_key="broadcast:1:farmer:9", phone=SIMULATED, body="Kheti Sahayak: rain",
                              locale="en", category="service_implicit", purpose="broadcast", encoding="GSM-7",
                              segments=1, status="queued", attempts=0)
        db.add(row)
        db.flush()
        message_id = row.id
    outcome = send_batch(service, [message_id])
    assert outcome.statuses[message_id] == "cancelled" and handed_over == []
    with sessions() as db:
        assert db.get(OutboundMessage, message_id).last_error == NOT_SENT


def test_a_simulated_phones_missed_call_is_logged_and_never_called_back(service, sessions, monkeypatch):
    rings = []
    monkeypatch.setattr(type(service.tasks), "call_back", lambda self, ring_id: rings.append(ring_id))
    missed_call(service, provider="twilio", call_id="CA" + "1" * 32, caller=SIMULATED, line="+912071234567")
    missed_call(service, provider="twilio", call_id="CA" + "2" * 32, caller="+919812345678", line="+912071234567")
    with sessions() as db:
        logged = {c.phone: c.id for c in db.scalars(select(CallLog).where(CallLog.kind == "missed_call"))}
    assert set(logged) == {SIMULATED, "+919812345678"}
    assert rings == [logged["+919812345678"]]
