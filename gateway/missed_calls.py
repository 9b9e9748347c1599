"""The missed-call line: a farmer rings one of MISSED_CALL_NUMBERS and hangs up, or is rejected unanswered, paying
nothing; we call them back from the workers and the same voice dialogs run on that call. Each ring is logged; the
call-back itself is limited to one per number per CALLBACK_PERIOD (workers.calls)."""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from farmdb.db import after_commit
from farmdb.models import CallLog, Farmer
from farmdb.phones import InvalidPhoneNumber, to_e164
from farmdb.types import utcnow

log = logging.getLogger(__name__)


def missed_call(conversations, *, provider: str, call_id: str, caller: str, line: str) -> None:
    """Log the ring and queue the call-back. A withheld or unusable number is rejected all the same (the endpoint
    answers Reject), with nobody to call back."""
    try:
        phone = to_e164(caller, conversations.settings.default_region)
    except InvalidPhoneNumber:
        log.info("missed call from a withheld or unusable number: nobody to call back", extra={"provider": provider})
        return
    try:
        _log_ring(conversations, provider=provider, call_id=call_id, phone=phone, line=line)
    except IntegrityError:
        return  # the same ring reported twice at once: the other report logged it
    log.info("missed call: calling back", extra={"provider": provider})


def _log_ring(conversations, *, provider: str, call_id: str, phone: str, line: str) -> None:
    with conversations.backends.sessions() as db, db.begin():
        if db.scalar(select(CallLog.id).where(CallLog.provider == provider, CallLog.call_id == call_id)):
            return  # the same ring reported again
        farmer_id = db.scalar(select(Farmer.id).where(Farmer.phone == phone))
        ring = CallLog(provider=provider, call_id=call_id, kind="missed_call", direction="inbound", phone=phone,
                       line=line, farmer_id=farmer_id, status="rejected", ended_at=utcnow())
        db.add(ring)
        db.flush()
        from workers.calls import call_back
        ring_id = ring.id
        after_commit(db, lambda: call_back.delay(ring_id))
