"""A table a hop needs is locked (a migration, a stuck transaction in psql) for longer than a caller can wait. The
caller hears a polite "busy" within two seconds, liveness answers at once, and the next hop after the lock is let
go is answered normally, without a restart. (Before the statement and lock timeouts, five USSD hops waited behind
such a lock and four got gunicorn's "Internal Server Error" after 15.7 s.)"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager

from sqlalchemy import text

from dialogs.texts import texts
from tests.gateway.africastalking.test_voice_endpoint import AtCall

BOUND_S = 2.0
FARMER = "+919812345678"


@contextmanager
def table_locked(engine, table: str, mode: str, seconds: float = 8.0):
    """Hold a lock on `table` from another connection (another process, as far as the server knows)."""
    taken, release = threading.Event(), threading.Event()

    def hold():
        with engine.connect() as conn, conn.begin():
            conn.execute(text(f"LOCK TABLE {table} IN {mode} MODE"))
            taken.set()
            release.wait(seconds)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert taken.wait(5), "could not take the lock"
    try:
        yield
    finally:
        release.set()
        holder.join(10)


def _timed(action):
    started = time.monotonic()
    result = action()
    return result, time.monotonic() - started


def test_a_hop_on_a_locked_farmers_table_is_told_busy_in_time(engine, ussd, client, register_farmer, settings):
    register_farmer(phone=FARMER, locale="en")
    phone = ussd(FARMER)
    with table_locked(engine, "farmers", "ACCESS EXCLUSIVE"):
        screen, took = _timed(phone.dial)
        assert took < BOUND_S, f"the hop took {took:.2f} s"
        # Whose phone it is cannot be read, so the service's own language says it, and the session ends.
        assert phone.ended and screen == texts(settings.default_locale, latin=True)("ussd.busy")
        health, took = _timed(lambda: client.get("/healthz"))
        assert health.status_code == 200 and took < 0.5  # liveness never touches the database
    screen = phone.dial()  # the lock is gone: answered as on any day
    assert not phone.ended and "Asha" in screen


def test_a_call_turn_on_a_locked_call_log_is_told_busy_in_time(engine, client):
    """EXCLUSIVE lets readers read but no one write: the call's first turn cannot log the call."""
    call = AtCall(client, phone=FARMER, session_id="ATVId_stalled01")
    with table_locked(engine, "call_logs", "EXCLUSIVE"):
        _, took = _timed(call.start)
        assert took < BOUND_S, f"the turn took {took:.2f} s"
        # Said in English: the Hindi clips are not built here (AT cannot speak Hindi; see kheti voice build-prompts).
        assert texts("en", latin=False)("voice.busy") in call.said
    call = AtCall(client, phone=FARMER, session_id="ATVId_stalled02")
    call.start()
    assert call.xml.find("GetDigits") is not None  # the menu, once the table is free again
