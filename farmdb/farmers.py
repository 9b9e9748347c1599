"""Changes to farmers that several channels make: registering, updating crops, erasing on withdrawal of consent."""
from __future__ import annotations

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.orm import Session, selectinload

from farmdb.models import (
    CallLog, Crop, ExpertRequest, Farmer, FarmerCrop, InboundMessage, OutboundMessage, Payment, PriceAlert,
    UssdSession,
)
from farmdb.types import utcnow

ERASED = "erased"  # in place of the number on every row that outlives the farmer
WITHDRAWN = "farmer withdrew consent: data erased"
# The purpose of the SMS that tells a farmer their data is erased: the one row that keeps their number, until sent.
ERASURE_NOTICE = "erasure_notice"


def set_crops(db: Session, farmer: Farmer, codes: list[str] | tuple[str, ...]) -> None:
    """Keep sowing dates of crops the farmer still grows; add new ones without a date."""
    crops = {c.code: c for c in db.scalars(select(Crop).where(Crop.code.in_(codes)))}
    kept = {fc.crop.code: fc for fc in farmer.crops if fc.crop.code in crops}
    farmer.crops = [kept.get(code) or FarmerCrop(crop=crops[code]) for code in codes if code in crops]


def register(db: Session, *, phone: str, name: str, locale: str, state_id: int, district_id: int,
             crops: list[str] | tuple[str, ...], channel: str, consent_notice: str) -> Farmer:
    """Create the farmer (or bring back one who had withdrawn) with consent recorded, as one step."""
    farmer = db.scalar(select(Farmer).options(selectinload(Farmer.crops)).where(Farmer.phone == phone))
    if farmer is None:
        farmer = Farmer(phone=phone, sms_opted_out=False)
        db.add(farmer)
    farmer.name, farmer.locale, farmer.state_id, farmer.district_id = name, locale, state_id, district_id
    farmer.registered_via = farmer.registered_via or channel
    set_crops(db, farmer, crops)
    db.add(farmer.give_consent(channel, consent_notice))
    db.flush()
    return farmer


def erase(db: Session, farmer: Farmer, *, channel: str, notice: str) -> list[str]:
    """Consent withdrawn: delete the farmer and the personal data around them (DPDP Act 2023, s.6(6) and s.8(7)).

    Kept: the consent events (when consent was given and withdrawn, no longer linked to a person), expert requests
    (without the farmer's words or recording), messages, calls and USSD session logs with the number and texts
    replaced, and payments (for the accounts, no longer linked to anyone), so service statistics stay true. Messages
    not yet sent are cancelled. Nothing is left holding their number but the SMS that tells them it is done
    (ERASURE_NOTICE), until it has gone (forget_notified). The audit log never held it (service.audit masks).
    Returns the provider ids of their calls: what Redis remembers of them, and of the farmer's SMS and USSD, is the
    core's to forget (service.conversations.caller_keys).
    """
    db.add(farmer.withdraw_consent(channel, notice))
    db.flush()
    phone, theirs = farmer.phone, farmer.id
    call_ids = forget_number(db, phone, theirs)
    db.execute(update(ExpertRequest).where(ExpertRequest.farmer_id == theirs)
               .values(description=None, recording_url=None, answer=None))  # their words, voice and our answer
    db.execute(update(ExpertRequest).where(ExpertRequest.farmer_id == theirs,
                                           ExpertRequest.status.in_(("open", "assigned")))
               .values(status="closed", closed_at=utcnow()))  # nobody left to answer: off the desk
    db.execute(update(Payment).where(Payment.farmer_id == theirs, Payment.status == "pending",
                                     Payment.link_url.is_(None))
               .values(status="failed", failure_reason=WITHDRAWN))  # no link made yet, and nobody to send it to
    db.execute(update(Payment).where(Payment.farmer_id == theirs).values(farmer_id=None))
    db.execute(delete(PriceAlert).where(PriceAlert.farmer_id == theirs))  # what they watched, and for how much
    db.delete(farmer)
    db.flush()
    return call_ids


def forget_number(db: Session, phone: str, farmer_id: int | None = None) -> list[str]:
    """What a number (and, when given, a farmer's id) left in the logs: USSD sessions, calls and messages both ways
    keep their row for the service's figures but lose the number and every text (a session's steps too). Messages
    not yet sent are cancelled. Returns the provider ids of the calls, whose sessions Redis must forget."""
    def theirs(phone_column, farmer_column):
        return phone_column == phone if farmer_id is None else or_(phone_column == phone, farmer_column == farmer_id)

    db.execute(update(UssdSession).where(UssdSession.phone == phone)
               .values(phone=ERASED, input=None, last_screen=None, error=None, steps=None))  # steps: their words
    calls = theirs(CallLog.phone, CallLog.farmer_id)
    call_ids = list(db.scalars(select(CallLog.call_id).where(calls)))
    db.execute(update(CallLog).where(calls).values(phone=ERASED, farmer_id=None, steps=None))
    outbound = theirs(OutboundMessage.phone, OutboundMessage.farmer_id)
    db.execute(update(OutboundMessage).where(outbound, OutboundMessage.status.in_(("queued", "sending")))
               .values(status="failed", last_error=WITHDRAWN))
    db.execute(update(OutboundMessage).where(outbound)  # a provider's error may quote the number
               .values(phone=ERASED, body="(erased)", farmer_id=None,
                       last_error=case((OutboundMessage.last_error == WITHDRAWN, WITHDRAWN), else_=None)))
    db.execute(update(InboundMessage).where(theirs(InboundMessage.phone, InboundMessage.farmer_id))
               .values(phone=ERASED, text="(erased)", farmer_id=None, extra={}))
    return call_ids


def forget_notified(db: Session, ids: list[int] | None = None) -> int:
    """Erasure notices (these `ids`, or all of them: a whole-table scan, for a sweep now and then) that have left or
    never will lose the number they went to; returns how many. The sender of a notice runs it once it has gone."""
    query = update(OutboundMessage).where(OutboundMessage.purpose == ERASURE_NOTICE, OutboundMessage.phone != ERASED,
                                          OutboundMessage.status.not_in(("queued", "sending")))
    if ids is not None:
        query = query.where(OutboundMessage.id.in_(ids))
    return db.execute(query.values(phone=ERASED)).rowcount
