"""The expert desk: farmers' requests (pest reports, call-backs, recorded questions) claimed or assigned, answered
by SMS or by a call, closed with an outcome, reopened. The farmer hears from us once per step that matters to them:
the answer itself, or a closing word when the ticket is closed without one. Every step is audited by the caller."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, joinedload

from dialogs.encoding import measure
from dialogs.texts import N_, texts
from farmdb.models import ExpertRequest, Farmer, FarmerCrop, Operator
from farmdb.models.requests import OUTCOMES
from farmdb.types import utcnow
from service.context import Service
from service.outbox import queue_sms

# What the farmer was told when they asked (expert.done, pest.done, sms.callback): the desk shows the wait against it.
PROMISED = {"pest_report": timedelta(days=2), "callback": timedelta(hours=24), "question": timedelta(hours=24)}
OPEN = ("open", "assigned")
MAX_ANSWER = 480  # characters typed; with its opening words up to 8 SMS in Devanagari, 4 in Latin (counted live)
CLOSING_SMS = {"unreachable": N_("ticket.unreachable_sms"), "referred": N_("ticket.referred_sms"),
               "answered": N_("ticket.closed_sms")}


class TicketError(ValueError):
    """Refused, with a reason for the form."""


@dataclass(frozen=True)
class Waiting:
    since: timedelta
    promised: timedelta

    @property
    def overdue(self) -> bool:
        return self.since > self.promised


def waiting(ticket: ExpertRequest, now: datetime | None = None) -> Waiting:
    """How long the farmer has waited: until the answer or the closing, or still, for an open (or reopened) one."""
    end = (now or utcnow()) if ticket.status in OPEN else ticket.answered_at or ticket.closed_at or now or utcnow()
    return Waiting(end - ticket.created_at, PROMISED.get(ticket.kind, timedelta(hours=24)))


def queue(status: str = "open", kind: str | None = None, assigned_to: int | None = None) -> Select:
    """The desk's list, oldest first (the longest wait on top): `status` "open" (open or assigned), "answered",
    "closed" or "all"."""
    query = select(ExpertRequest).options(
        joinedload(ExpertRequest.farmer).selectinload(Farmer.crops).joinedload(FarmerCrop.crop),
        joinedload(ExpertRequest.farmer).joinedload(Farmer.district), joinedload(ExpertRequest.crop),
        joinedload(ExpertRequest.assigned_to))
    if status == "open":
        query = query.where(ExpertRequest.status.in_(OPEN))
    elif status != "all":
        query = query.where(ExpertRequest.status == status)
    if kind:
        query = query.where(ExpertRequest.kind == kind)
    if assigned_to is not None:
        query = query.where(ExpertRequest.assigned_to_id == assigned_to)
    return query.order_by(ExpertRequest.created_at, ExpertRequest.id)


def find(db: Session, ticket: str, *, lock: bool = False) -> ExpertRequest | None:
    query = select(ExpertRequest).where(ExpertRequest.ticket == ticket.strip())
    return db.scalar(query.with_for_update() if lock else query)


def earlier(db: Session, ticket: ExpertRequest, limit: int = 10) -> list[ExpertRequest]:
    """The same farmer's other tickets, newest first: what they asked before, and what they were told."""
    if ticket.farmer_id is None:
        return []
    return db.scalars(select(ExpertRequest).where(ExpertRequest.farmer_id == ticket.farmer_id,
                                                  ExpertRequest.id != ticket.id)
                      .order_by(ExpertRequest.created_at.desc()).limit(limit)).all()


def stage_of(ticket: ExpertRequest, timezone: str) -> str | None:
    """The growth stage of the ticket's crop on the farmer's field today, when its sowing date is known."""
    if ticket.farmer is None or ticket.crop is None:
        return None
    grown = next((fc for fc in ticket.farmer.crops if fc.crop_id == ticket.crop_id), None)
    if grown is None or grown.sown_on is None:
        return None
    return ticket.crop.stage_on(grown.sown_on, utcnow().astimezone(ZoneInfo(timezone)).date())


def claim(ticket: ExpertRequest, operator: Operator) -> None:
    """Take a ticket nobody has: one a colleague holds is theirs until it is given on ("Give it")."""
    if ticket.assigned_to is not None and ticket.assigned_to_id != operator.id:
        raise TicketError(f"{ticket.assigned_to.display_name} has this ticket: give it on instead of taking it")
    if ticket.assigned_to_id == operator.id and ticket.status == "assigned":
        raise TicketError("you have this ticket already")
    assign(ticket, operator)


def unchanged_since(ticket: ExpertRequest, seen: str | None) -> None:
    """Refuse to act on a ticket that changed after the page was read (another agronomist answered it, took it
    or closed it): two people must not answer the same farmer twice without knowing."""
    if seen and seen != version(ticket):
        raise TicketError(f"ticket {ticket.ticket} changed since you opened it: read it again, then act")


def version(ticket: ExpertRequest) -> str:
    answered = ticket.answered_at.timestamp() if ticket.answered_at else 0
    return f"{ticket.status}:{ticket.assigned_to_id or 0}:{answered}"


def assign(ticket: ExpertRequest, operator: Operator) -> None:
    if ticket.status not in OPEN:
        raise TicketError(f"ticket {ticket.ticket} is {ticket.status}: reopen it first")
    if operator.disabled or operator.role == "viewer":
        raise TicketError(f"{operator.display_name} cannot work tickets")
    ticket.assigned_to, ticket.status, ticket.assigned_at = operator, "assigned", utcnow()


def answer_by_sms(service: Service, db: Session, ticket: ExpertRequest, operator: Operator, text: str) -> None:
    """The answer, typed in the farmer's language, goes to them by SMS through the outbox (DLT template
    `ticket.answer_sms`). The same answer submitted twice is sent once."""
    answer = " ".join(text.split())
    if not answer:
        raise TicketError("write the answer first")
    if len(answer) > MAX_ANSWER:
        raise TicketError(f"an answer is at most {MAX_ANSWER} characters ({len(answer)} now)")
    if ticket.status == "closed":
        raise TicketError(f"ticket {ticket.ticket} is closed: reopen it first")
    farmer = ticket.farmer
    if farmer is None:
        raise TicketError("the farmer has erased their data: there is nobody to send it to")
    if ticket.answer == answer and ticket.status == "answered":
        raise TicketError("this answer was sent already")  # a double submit: nothing twice, not even in the log
    body = answer_sms(ticket, answer)
    digest = hashlib.sha1(answer.encode()).hexdigest()[:12]
    queue_sms(service, db, phone=farmer.phone, body=body, locale=farmer.locale, category="service_implicit",
              purpose="ticket_answer", idempotency_key=f"ticket:{ticket.id}:answer:{digest}", farmer_id=farmer.id)
    if ticket.assigned_to is None:
        ticket.assigned_to, ticket.assigned_at = operator, utcnow()
    ticket.status, ticket.answer, ticket.answered_at = "answered", answer, utcnow()


def close(service: Service, db: Session, ticket: ExpertRequest, outcome: str) -> None:
    """Closed with how it ended. The farmer gets one closing SMS unless an SMS answer already told them."""
    if outcome not in OUTCOMES:
        raise TicketError(f"the outcome is one of {', '.join(OUTCOMES)}")
    if ticket.status == "closed":
        raise TicketError(f"ticket {ticket.ticket} is closed already")  # a second submit changes nothing
    already_told = outcome == "answered" and ticket.answered_at is not None
    ticket.status, ticket.outcome, ticket.closed_at = "closed", outcome, utcnow()
    farmer = ticket.farmer
    if farmer is not None and not already_told:
        body = texts(farmer.locale, latin=False)(CLOSING_SMS[outcome], ticket=ticket.ticket)
        queue_sms(service, db, phone=farmer.phone, body=body, locale=farmer.locale, category="service_implicit",
                  purpose="ticket_closed", farmer_id=farmer.id,
                  idempotency_key=f"ticket:{ticket.id}:closed:{ticket.closed_at.isoformat()}")


def reopen(ticket: ExpertRequest) -> None:
    if ticket.status != "closed":
        raise TicketError(f"ticket {ticket.ticket} is not closed")
    ticket.status = "assigned" if ticket.assigned_to_id else "open"
    ticket.outcome = ticket.closed_at = None


def open_and_overdue(db: Session, now: datetime | None = None) -> tuple[int, int]:
    """How many tickets are open, and how many of them have waited longer than the farmer was promised."""
    now = now or utcnow()
    late = or_(*(and_(ExpertRequest.kind == kind, ExpertRequest.created_at < now - promised)
                 for kind, promised in PROMISED.items()))
    return db.execute(select(func.count(), func.count().filter(late))
                      .where(ExpertRequest.status.in_(OPEN))).one()


def answer_sms(ticket: ExpertRequest, answer: str) -> str:
    """The SMS an answer goes out as: the farmer's catalogue's words around it (DLT template ticket.answer_sms)."""
    return texts(ticket.farmer.locale, latin=False)(N_("ticket.answer_sms"), ticket=ticket.ticket, answer=answer)


def measured(text: str, ticket: ExpertRequest | None = None) -> dict:
    """What the farmer's phone will make of an answer, as the outbox counts it: the characters typed (against
    MAX_ANSWER), and the encoding and SMS segments of the whole message, with its opening words, when the ticket
    is known."""
    answer = " ".join(text.split())
    length = measure(answer_sms(ticket, answer) if ticket is not None and ticket.farmer else answer)
    return {"characters": len(answer), "encoding": length.encoding, "segments": length.segments,
            "limit": MAX_ANSWER}
