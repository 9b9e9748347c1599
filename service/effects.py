"""Carry out what a dialog hop decided: all database changes in one transaction; SMS and payment links are queued
to the workers only once it commits. Every channel (USSD, voice, SMS) uses this one function."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from dialogs import effects as fx
from farmdb import farmers
from farmdb.models import Crop, ExpertRequest, Farmer, Plan
from farmdb.types import utcnow
from service.prices import alerts as price_alerts
from service.context import Service
from service.outbox import queue_sms
from service.payments import start_payment

log = logging.getLogger(__name__)


@dataclass
class Applied:
    registered_farmer_id: int | None = None
    erased_call_ids: tuple[str, ...] = ()  # whose call sessions Redis must forget


def apply_effects(service: Service, db: Session, effects: list[fx.Effect]) -> Applied:
    """Apply in order inside the caller's transaction (the caller commits)."""
    applied = Applied()
    for effect in effects:
        handler = _HANDLERS[type(effect)]
        result = handler(service, db, effect)
        if isinstance(effect, fx.RegisterFarmer):
            applied.registered_farmer_id = result
        elif isinstance(effect, (fx.EraseFarmer, fx.ForgetNumber)):
            applied.erased_call_ids = tuple(result)
    return applied


def _register(service: Service, db: Session, e: fx.RegisterFarmer) -> int:
    farmer = farmers.register(db, phone=e.phone, name=e.name, locale=e.locale, state_id=e.state_id,
                              district_id=e.district_id, crops=e.crops, channel=e.channel,
                              consent_notice=e.consent_notice)
    log.info("farmer registered", extra={"farmer_id": farmer.id, "channel": e.channel})
    return farmer.id


def _farmer(db: Session, farmer_id: int) -> Farmer:
    return db.scalars(select(Farmer).options(selectinload(Farmer.crops)).where(Farmer.id == farmer_id)).one()


def _update(service: Service, db: Session, e: fx.UpdateFarmer) -> None:
    farmer = _farmer(db, e.farmer_id)
    for field in ("locale", "state_id", "district_id"):
        if getattr(e, field) is not None:
            setattr(farmer, field, getattr(e, field))
    if e.crops is not None:
        farmers.set_crops(db, farmer, e.crops)
    if e.sms_opted_out is not None and e.sms_opted_out != farmer.sms_opted_out:
        farmer.sms_opted_out = e.sms_opted_out
        farmer.sms_opted_out_at = utcnow() if e.sms_opted_out else None


def _erase(service: Service, db: Session, e: fx.EraseFarmer) -> list[str]:
    call_ids = farmers.erase(db, _farmer(db, e.farmer_id), channel=e.channel, notice=e.notice)
    log.info("farmer erased on withdrawal of consent", extra={"channel": e.channel})
    return call_ids


def _forget_number(service: Service, db: Session, e: fx.ForgetNumber) -> list[str]:
    call_ids = farmers.forget_number(db, e.phone)
    log.info("a caller with no profile had their number forgotten", extra={"channel": e.channel})
    return call_ids


def _expert_request(service: Service, db: Session, e: fx.CreateExpertRequest) -> None:
    crop_id = db.scalar(select(Crop.id).where(Crop.code == e.crop)) if e.crop else None
    db.add(ExpertRequest(ticket=e.ticket, farmer_id=e.farmer_id, crop_id=crop_id, kind=e.kind, channel=e.channel,
                         description=e.description, recording_url=e.recording_url, status="open"))


def _send_sms(service: Service, db: Session, e: fx.SendSms) -> None:
    if e.farmer_id and db.scalar(select(Farmer.sms_opted_out).where(Farmer.id == e.farmer_id)):
        log.info("SMS not sent: farmer opted out of SMS", extra={"purpose": e.purpose})
        return
    queue_sms(service, db, phone=e.phone, body=e.body, locale=e.locale, category=e.category, purpose=e.purpose,
              idempotency_key=e.idempotency_key, farmer_id=e.farmer_id)


def _start_payment(service: Service, db: Session, e: fx.StartPayment) -> None:
    # The same key again (the farmer confirmed the same plan again today) finds the first payment: its link works.
    plan = db.scalar(select(Plan).where(Plan.code == e.plan_code))
    start_payment(service, db, farmer_id=e.farmer_id, plan=plan, purpose="subscription",
                  idempotency_key=e.idempotency_key)


def _answer_heard(service: Service, db: Session, e: fx.AnswerHeard) -> None:
    db.execute(update(ExpertRequest).where(ExpertRequest.ticket == e.ticket, ExpertRequest.answer_heard_at.is_(None))
               .values(answer_heard_at=utcnow()))


def _set_price_alert(service: Service, db: Session, e: fx.SetPriceAlert) -> None:
    price_alerts.set_alert(db, e)


def _cancel_price_alerts(service: Service, db: Session, e: fx.CancelPriceAlerts) -> None:
    price_alerts.cancel(db, e.farmer_id, e.alert_ids)


_HANDLERS = {
    fx.RegisterFarmer: _register,
    fx.UpdateFarmer: _update,
    fx.EraseFarmer: _erase,
    fx.ForgetNumber: _forget_number,
    fx.CreateExpertRequest: _expert_request,
    fx.SendSms: _send_sms,
    fx.StartPayment: _start_payment,
    fx.AnswerHeard: _answer_heard,
    fx.SetPriceAlert: _set_price_alert,
    fx.CancelPriceAlerts: _cancel_price_alerts,
}
