"""The session log: for every USSD session and call, its steps in order (when, the screen shown, what the farmer
sent, what they were shown or told), so a complaint can be checked against what the farmer saw.

While a session is live its steps are a Redis list beside the session, not inside it (the session stays within its
budget of bytes): dialogs.store appends each step in the hop's own save script, keeps the last STEPS_KEPT, and each
text here is cut to TEXT_KEPT characters. When the session ends the steps move to the database and the list is
deleted: to ussd_sessions.steps (with exit_screen, the screen it ended on) when Africa's Talking reports the end of
the session (gateway/africastalking/ussd.py), to call_logs.steps when the provider's status callback closes the call
(service.call_log.note_call). A session whose end is never reported keeps no log: its list expires
(dialogs.store.STEPS_GRACE_S after the last hop).

A step: {"t": unix seconds, "s": screen id, "i": what the farmer sent (keys, words typed or said), "o": the text
shown or spoken}. Callers who have not consented (or have since withdrawn) keep only when and which screen.
"""
from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from dialogs.store import SessionStore
from farmdb.db import after_commit
from farmdb.models import CallLog, Farmer, UssdSession

TEXT_KEPT = 200
SCREEN_KEPT = 48  # ussd_sessions.exit_screen's length


def step(screen: str, sent: str, shown: str, at: float | None = None) -> dict:
    """One line of the log, as a hop or a turn appends it."""
    return {"t": round(time.time() if at is None else at, 3), "s": screen[:SCREEN_KEPT], "i": sent[:TEXT_KEPT],
            "o": shown[:TEXT_KEPT]}


def kept(steps: list[dict], consented: bool) -> list[dict]:
    """What the database keeps: everything for a farmer who consented; for anyone else only when and which screen,
    not what they typed or were shown (as the session row keeps their number masked)."""
    return steps if consented else [{"t": s["t"], "s": s["s"], "i": "", "o": ""} for s in steps]


def close_ussd(db: Db, row: UssdSession, store: SessionStore, phone: str, consented: bool) -> None:
    """Move a USSD session's steps onto its row (in `db`'s transaction) and forget them in Redis once it commits. A
    repeated end-of-session report finds no steps left and changes nothing."""
    steps = store.steps(phone, row.session_id)
    if not steps:
        return
    row.steps, row.exit_screen = kept(steps, consented), steps[-1]["s"][:SCREEN_KEPT]
    after_commit(db, lambda: store.forget_steps(phone, row.session_id))


def close_call(db: Db, call: CallLog, store: SessionStore) -> None:
    """Move a call's steps onto its log row (the call's session is keyed by its call id) as the call is closed."""
    steps = store.steps(call.call_id, call.call_id)
    if not steps:
        return
    consented = call.phone is not None and db.scalar(select(Farmer.id).where(  # as the dialogs' profile() asks
        Farmer.phone == call.phone, Farmer.consent_given_at.is_not(None),
        Farmer.consent_withdrawn_at.is_(None))) is not None
    call.steps = kept(steps, consented)
    call_id = call.call_id
    after_commit(db, lambda: store.forget_steps(call_id, call_id))
