"""Changes to farmers that several channels make: registering, updating crops, erasing on withdrawal of consent."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from farmdb.models import Crop, ExpertRequest, Farmer, FarmerCrop, InboundMessage, OutboundMessage, UssdSession
from farmdb.types import utcnow


ERASED = "erased"


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


def erase(db: Session, farmer: Farmer, *, channel: str, notice: str) -> None:
    """Consent withdrawn: delete the farmer and the personal data around them (DPDP Act 2023, s.6(6) and s.8(7)).

    Kept: the consent events (when consent was given and withdrawn, no longer linked to a person), expert requests
    (without the farmer's words or recording), messages and USSD session logs with the number and text replaced, so
    service statistics stay true. Messages not yet sent are cancelled. The caller's Redis state is the core's to
    forget (service.conversations.Conversations.forget_caller).
    """
    db.add(farmer.withdraw_consent(channel, notice))
    db.flush()
    phone = farmer.phone
    db.execute(update(ExpertRequest).where(ExpertRequest.farmer_id == farmer.id)
               .values(description=None, recording_url=None, answer=None))  # their words, voice and our answer
    db.execute(update(ExpertRequest).where(ExpertRequest.farmer_id == farmer.id,
                                           ExpertRequest.status.in_(("open", "assigned")))
               .values(status="closed", closed_at=utcnow()))  # nobody left to answer: off the desk
    db.execute(update(UssdSession).where(UssdSession.phone == phone)
               .values(phone=ERASED, input=None, last_screen=None))
    db.execute(update(OutboundMessage).where(OutboundMessage.phone == phone,
                                             OutboundMessage.status.in_(("queued", "sending")))
               .values(status="failed", last_error="farmer withdrew consent: data erased"))
    db.execute(update(OutboundMessage).where(OutboundMessage.phone == phone)
               .values(phone=ERASED, body="(erased)", farmer_id=None))
    db.execute(update(InboundMessage).where(InboundMessage.phone == phone)
               .values(phone=ERASED, text="(erased)", farmer_id=None, extra={}))
    db.delete(farmer)
    db.flush()


