"""The call log: one row per call, ring and call-back (provider, kind, direction, status, the last screen, duration and
cost), made on a call's first webhook and updated by what the provider and the dialogs say afterwards."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from farmdb.db import after_commit
from farmdb.models import CallLog, Farmer
from farmdb.types import utcnow
from dialogs.store import SessionStore
from service import session_log
from service.connections import Backends
from service.conversations import UNAVAILABLE

log = logging.getLogger(__name__)


def note_screen(backends: Backends, *, provider: str, call_id: str, screen: str) -> None:
    """The call log's last screen: for operators, never worth failing a turn over."""
    try:
        note_call(backends, provider=provider, call_id=call_id, screen=screen, within_hop=True)
    except UNAVAILABLE as exc:
        log.warning("call log not updated: %s", type(exc).__name__)


def call_phone(backends: Backends, *, provider: str, call_id: str, kind: str) -> str | None:
    """The number on this call's row when it is of `kind`: a placed call-back's farmer ("callback", logged by the
    workers), or the farmer to connect to when the expert desk's call is answered ("bridge", service.bridges).
    Someone is on the line: it waits no longer than a hop may."""
    with backends.hop_transaction() as db:
        return db.scalar(select(CallLog.phone).where(CallLog.provider == provider, CallLog.call_id == call_id,
                                                     CallLog.kind == kind))


def log_call(backends: Backends, *, provider: str, call_id: str, kind: str, direction: str, phone: str,
             line: str | None, status: str, ended: bool = False, then: Callable[[int], None] | None = None) -> bool:
    """The call's row, made on its first webhook; False when it was there already (a repeated first webhook, or
    two at once). `then(row id)` runs once the row is committed, for a new row only. A caller is waiting on this
    turn: it waits no longer than a hop may."""
    try:
        with backends.hop_transaction() as db:
            if db.scalar(select(CallLog.id).where(CallLog.provider == provider, CallLog.call_id == call_id)):
                return False
            farmer_id = db.scalar(select(Farmer.id).where(Farmer.phone == phone))
            call = CallLog(provider=provider, call_id=call_id, kind=kind, direction=direction, phone=phone,
                           line=line, farmer_id=farmer_id, status=status, ended_at=utcnow() if ended else None)
            db.add(call)
            db.flush()
            if then is not None:
                row_id = call.id
                after_commit(db, lambda: then(row_id))
    except IntegrityError:
        return False  # the other of two identical first webhooks made the row
    return True


@contextmanager
def _transaction(backends: Backends):
    with backends.sessions() as db, db.begin():
        yield db


def note_call(backends: Backends, *, provider: str, call_id: str, status: str | None = None, screen: str | None = None,
              duration_s: int | None = None, cost=None, currency: str | None = None, final: bool = False,
              within_hop: bool = False) -> bool:
    """Update the call's row with what the provider or the dialogs say; False when there is no such call.
    `within_hop`: a caller is waiting on this turn, so it waits no longer than a hop may (Backends.hop_transaction)."""
    with (backends.hop_transaction() if within_hop else _transaction(backends)) as db:
        call = db.scalar(select(CallLog).where(CallLog.provider == provider, CallLog.call_id == call_id)
                         .with_for_update())
        if call is None:
            return False
        if call.ended_at is not None:
            return True  # the first final word stands (a rejected ring stays "rejected"); late reports change nothing
        if status:
            call.status = status
        if screen:
            call.last_screen = screen
        if duration_s is not None:
            call.duration_s = duration_s
        if cost is not None:
            call.cost, call.cost_currency = cost, currency
        if final and call.ended_at is None:
            call.ended_at = utcnow()
            # The call's session is "voice"-prefixed in Redis (service.conversations): its steps move to the row.
            session_log.close_call(db, call, SessionStore(backends.redis, prefix="voice"))
        return True
