"""Session logs as the people who run the service read them: one USSD session or call with its steps in order (each
at its offset from the start), and the session or call a ticket was raised in, so a complaint can be checked against
what the farmer saw. The steps are written by service.session_log; the console audits each viewing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from farmdb.models import CallLog, ExpertRequest, UssdSession

CALL_CHANNELS = ("voice", "call", "ivr")  # a ticket raised on a call says one of these as its channel
LONGEST_CALL = timedelta(hours=2)  # service.conversations.CALL_TTL: an unclosed call is not live after this


@dataclass(frozen=True)
class Step:
    offset_s: float  # since the first step
    screen: str
    sent: str  # what the farmer sent: keys, words typed or said ("" on a dial, or not kept)
    shown: str  # what they were shown or told (cut to 200 characters; "" when not kept)


@dataclass(frozen=True)
class Log:
    kind: str  # ussd | call
    ref: str  # the session id, or the call log's row id
    phone: str
    network: str | None  # the mobile network's code (USSD), or the provider (calls)
    started_at: datetime | None
    duration_s: float | None
    status: str
    exit_screen: str | None
    farmer_id: int | None
    steps: tuple[Step, ...]


def _steps(raw: list | None) -> tuple[Step, ...]:
    raw = raw or []
    first = raw[0]["t"] if raw else 0
    return tuple(Step(round(s["t"] - first, 1), s.get("s", ""), s.get("i", ""), s.get("o", "")) for s in raw)


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def ussd(db: Session, session_id: str, farmer_id: int | None = None) -> Log | None:
    row = db.scalar(select(UssdSession).where(UssdSession.session_id == session_id))
    if row is None:
        return None
    duration = row.duration_ms / 1000 if row.duration_ms is not None else None
    started = _at(row.steps[0]["t"]) if row.steps else \
        (row.ended_at - timedelta(seconds=duration) if duration is not None else None)
    return Log("ussd", row.session_id, row.phone, row.network_code, started, duration, row.status,
               row.exit_screen, farmer_id, _steps(row.steps))


def call(db: Session, call_row_id: int) -> Log | None:
    row = db.get(CallLog, call_row_id)
    if row is None:
        return None
    duration = row.duration_s if row.duration_s is not None else \
        ((row.ended_at - row.created_at).total_seconds() if row.ended_at else None)
    return Log("call", str(row.id), row.phone, f"{row.provider}, {row.kind}, {row.direction}", row.created_at,
               duration, row.status, row.last_screen, row.farmer_id, _steps(row.steps))


def during(db: Session, ticket: ExpertRequest) -> tuple[str, str] | None:
    """(kind, ref) of the session or call that was live when `ticket` was raised, by the same farmer; None when
    there is none to be found (another channel, the farmer erased, or the session's end never reported)."""
    if ticket.farmer is None:
        return None
    at, phone = ticket.created_at, ticket.farmer.phone
    if ticket.channel in CALL_CHANNELS:
        found = db.scalar(select(CallLog.id).where(
            or_(CallLog.farmer_id == ticket.farmer_id, CallLog.phone == phone), CallLog.created_at <= at,
            CallLog.created_at > at - LONGEST_CALL, or_(CallLog.ended_at.is_(None), CallLog.ended_at >= at))
            .order_by(CallLog.created_at.desc()).limit(1))
        return ("call", str(found)) if found is not None else None
    if ticket.channel != "ussd":
        return None  # an SMS ticket was raised in no session
    # A USSD session's row is written as it ends: the first to end after the ticket, if it had begun by then.
    for row in db.scalars(select(UssdSession).where(UssdSession.phone == phone, UssdSession.ended_at >= at)
                          .order_by(UssdSession.ended_at).limit(3)):
        log = ussd(db, row.session_id)
        if log.started_at is not None and log.started_at <= at + timedelta(seconds=1):
            return "ussd", row.session_id
    return None
