"""Farmers as the people who run the service look them up: found by phone (as a person types it), name, district or
crop; one timeline of everything the service did with them; crops, district and language edited; data erased on
request. The console and API v1 both use these; the caller audits what a person did."""
from __future__ import annotations

import heapq
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from farmdb import districts as district_rows, farmers as farmer_rows
from farmdb.db import after_commit
from farmdb.models import (
    CallLog, ConsentEvent, Crop, District, ExpertRequest, Farmer, FarmerCrop, InboundMessage, OutboundMessage,
    Payment, PriceAlert, Subscription, UssdSession,
)
from farmdb.phones import InvalidPhoneNumber, to_e164
from locales.languages import CODES
from service.context import Service
from service.conversations import forget_in_redis

PHONE_LIKE = re.compile(r"[+(\d][\d\s().-]{3,}")  # four digits or more: the end of a number, as masked


class RecordError(ValueError):
    """Refused, with a reason for the form."""


def search(query_text: str = "", *, district_ids: list[int] | None = None, crop: str | None = None,
           default_region: str = "IN", last_digits: bool = False) -> Select:
    """Farmers matching what was typed: a phone number in any format ("098765 43210", "+91 98765-43210"), its last
    digits when `last_digits` (for those who may see numbers anyway: a viewer could otherwise guess a masked number
    digit by digit), or a part of a name; narrowed by district and crop. Newest first."""
    query = select(Farmer).options(joinedload(Farmer.district), selectinload(Farmer.crops).joinedload(FarmerCrop.crop))
    text = " ".join(query_text.split())
    if text and PHONE_LIKE.fullmatch(text):
        digits = re.sub(r"\D", "", text)
        try:
            query = query.where(Farmer.phone == to_e164(text, default_region))
        except InvalidPhoneNumber:
            if not last_digits:
                raise RecordError("type the whole number") from None
            query = query.where(Farmer.phone.like(f"%{digits}"))  # the last digits of a number
    elif text:
        query = query.where(func.lower(Farmer.name).contains(text.lower(), autoescape=True))
    if district_ids is not None:
        query = query.where(Farmer.district_id.in_(district_ids))  # one name may be a district in two states
    if crop:
        query = query.where(Farmer.crops.any(FarmerCrop.crop.has(Crop.code == crop)))
    return query.order_by(Farmer.created_at.desc(), Farmer.id.desc())


def districts_named(db: Session, name: str) -> list[int]:
    """The districts of that name, today's or a former one (one name may be a district in two states); [] when
    there is none."""
    return [district_id for district_id, _ in district_rows.called(db, name)]


def get(db: Session, farmer_id: int) -> Farmer | None:
    return db.scalar(select(Farmer).options(joinedload(Farmer.district), joinedload(Farmer.state),
                                            selectinload(Farmer.crops).joinedload(FarmerCrop.crop))
                     .where(Farmer.id == farmer_id))


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str  # sms_out | sms_in | ussd | call | ticket | payment | consent
    summary: str  # what happened, in a few words (may hold what the farmer wrote: escape it when shown)
    status: str | None = None
    ref: str | None = None  # a ticket number, a payment reference, a USSD session's id or a call log's row id


def timeline(db: Session, farmer: Farmer, *, page: int = 1, per_page: int = 25) -> list[Event]:
    """Everything the service did with this farmer, newest first, one page of it. Each source gives at most the
    rows that could be on this page; they are merged by time."""
    wanted = page * per_page
    phone = farmer.phone
    sources = [
        [Event(m.created_at, "sms_out", m.body, m.status, m.purpose) for m in db.scalars(
            select(OutboundMessage).where(or_(OutboundMessage.farmer_id == farmer.id, OutboundMessage.phone == phone))
            .order_by(OutboundMessage.created_at.desc()).limit(wanted))],
        [Event(m.received_at, "sms_in", m.text, m.intent) for m in db.scalars(
            select(InboundMessage).where(or_(InboundMessage.farmer_id == farmer.id, InboundMessage.phone == phone))
            .order_by(InboundMessage.received_at.desc()).limit(wanted))],
        [Event(s.ended_at, "ussd", f"{s.hops or '?'} screens, {round((s.duration_ms or 0) / 1000)} s", s.status,
               s.session_id) for s in db.scalars(select(UssdSession).where(UssdSession.phone == phone)
                             .order_by(UssdSession.ended_at.desc()).limit(wanted))],
        [Event(c.created_at, "call", f"{c.kind}, {c.direction}" + (f", {c.duration_s} s" if c.duration_s else ""),
               c.status, str(c.id)) for c in db.scalars(select(CallLog).where(or_(CallLog.farmer_id == farmer.id,
                                                                         CallLog.phone == phone))
                                             .order_by(CallLog.created_at.desc()).limit(wanted))],
        [Event(t.created_at, "ticket", t.description or t.kind, t.status, t.ticket) for t in db.scalars(
            select(ExpertRequest).where(ExpertRequest.farmer_id == farmer.id)
            .order_by(ExpertRequest.created_at.desc()).limit(wanted))],
        [Event(p.created_at, "payment", f"{p.amount_minor / 100:.2f} {p.currency} {p.purpose}", p.status,
               p.provider_ref) for p in db.scalars(select(Payment).where(Payment.farmer_id == farmer.id)
                                                   .order_by(Payment.created_at.desc()).limit(wanted))],
        *_price_alerts(db, farmer, wanted),
        [Event(c.at, "consent", f"{c.action} ({c.channel})", c.action, c.notice) for c in db.scalars(
            select(ConsentEvent).where(ConsentEvent.farmer_id == farmer.id)
            .order_by(ConsentEvent.at.desc()).limit(wanted))],
    ]
    merged = heapq.merge(*sources, key=lambda e: e.at, reverse=True)
    return list(merged)[(page - 1) * per_page:wanted]


def _price_alerts(db: Session, farmer: Farmer, wanted: int) -> list[list[Event]]:
    """Each alert when it was set (with how often it has fired) and, apart, when it was cancelled; the SMS it sent
    are among the messages."""
    alerts = db.scalars(select(PriceAlert).options(joinedload(PriceAlert.crop), joinedload(PriceAlert.mandi),
                                                   joinedload(PriceAlert.district))
                        .where(PriceAlert.farmer_id == farmer.id).order_by(PriceAlert.created_at.desc())
                        .limit(wanted)).all()
    today = datetime.now(timezone.utc).date()

    def what(a: PriceAlert) -> str:
        where = a.mandi.name if a.mandi else f"the 3 mandis nearest {a.district.name if a.district else '?'}"
        return f"{a.crop.code} {a.direction} Rs {a.amount:,}/quintal at {where} (by {a.channel}, till {a.expires_on})"

    def status(a: PriceAlert) -> str:
        state = "cancelled" if a.cancelled_at else "expired" if a.expires_on < today else "active"
        return f"{state}, sent {a.times_sent}x" if a.times_sent else state
    cancelled = sorted((a for a in alerts if a.cancelled_at), key=lambda a: a.cancelled_at, reverse=True)
    return [[Event(a.created_at, "price_alert", what(a), status(a)) for a in alerts],
            [Event(a.cancelled_at, "price_alert", f"cancelled: {what(a)}", "cancelled") for a in cancelled]]


def consent_history(db: Session, farmer: Farmer) -> list[ConsentEvent]:
    return db.scalars(select(ConsentEvent).where(ConsentEvent.farmer_id == farmer.id).order_by(ConsentEvent.at)).all()


def plans(db: Session, farmer: Farmer) -> tuple[list[Subscription], list[Payment]]:
    subscriptions = db.scalars(select(Subscription).where(Subscription.farmer_id == farmer.id)
                               .order_by(Subscription.ends_at.desc())).all()
    payments = db.scalars(select(Payment).where(Payment.farmer_id == farmer.id)
                          .order_by(Payment.created_at.desc()).limit(20)).all()
    return subscriptions, payments


def edit(db: Session, farmer: Farmer, *, crops: list[str] | None = None, district_id: int | None = None,
         locale: str | None = None) -> dict:
    """Change what was asked; returns {field: [before, after]} of what changed, for the audit log."""
    changed = {}
    if locale is not None and locale != farmer.locale:
        if locale not in CODES:
            raise RecordError(f"the language is one of {', '.join(CODES)}")
        changed["locale"], farmer.locale = [farmer.locale, locale], locale
    if district_id is not None and district_id != farmer.district_id:
        district = db.get(District, district_id)
        if district is None:
            raise RecordError("no such district")
        changed["district"] = [farmer.district.name if farmer.district else None, district.name]
        farmer.district_id, farmer.state_id = district.id, district.state_id
    if crops is not None:
        before = sorted(fc.crop.code for fc in farmer.crops)
        known = set(db.scalars(select(Crop.code).where(Crop.code.in_(crops))))
        unknown = sorted(set(crops) - known)
        if unknown:
            raise RecordError(f"no such crop: {', '.join(unknown)}")
        if sorted(set(crops)) != before:
            farmer_rows.set_crops(db, farmer, list(dict.fromkeys(crops)))
            changed["crops"] = [before, sorted(set(crops))]
    return changed


def erase(service: Service, db: Session, farmer: Farmer) -> None:
    """The farmer asked us (through an operator) to erase their data: as when they withdraw consent themselves,
    the consent record stays. What Redis remembers of them (their SMS conversation, USSD session, calls) goes once
    this commits."""
    phone = farmer.phone
    call_ids = farmer_rows.erase(db, farmer, channel="operator", notice="console.erase")
    after_commit(db, lambda: forget_in_redis(service.backends.redis, phone, call_ids))
