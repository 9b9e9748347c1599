"""Price alerts in the core: set and cancel them (the dialogs' effects), and check them all after each price import.

A check looks, for each active alert, at the latest reported price at its mandi (or at the three mandis nearest its
district that trade the crop, within reach), if not older than PRICE_STALE_DAYS: an old price is not news. Past the
amount (the highest of the three for a rise, the lowest for a fall) and armed, it queues one SMS in the farmer's
language and disarms; back on the other side, it arms again. So a farmer hears once per crossing, not every day the
price stays there; the state change and the outbox row commit together, and the row's key (alert and crossing
number) keeps a second check from sending it twice.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from dialogs import effects as fx
from dialogs.flows.price_alerts import ALERT_DAYS, MAX_ALERTS
from dialogs.flows.prices import PRICE_REACH_KM
from dialogs.texts import N_, texts
from farmdb.models import Crop, Farmer, Mandi, MarketPrice, OutboundMessage, PriceAlert
from farmdb.types import utcnow
from service.context import Service
from service.outbox import queue_sms
from service.reference import ReferenceData, distance_km

log = logging.getLogger(__name__)

NEAREST = 3
BATCH = 500  # alerts a transaction
LOOK_BACK_DAYS = 14  # as far back as a farmer is shown a price (service.dialog_services.PRICE_MAX_AGE_DAYS)
SMS = {"above": N_("alert.price_above_sms"), "below": N_("alert.price_below_sms")}


def local_today(service: Service) -> date:
    """The day in the service's own time zone (TIMEZONE): prices are dated by the mandi's day."""
    return utcnow().astimezone(ZoneInfo(service.settings.timezone)).date()


def active(today: date):
    return PriceAlert.cancelled_at.is_(None), PriceAlert.expires_on >= today


def set_alert(db: Session, e: fx.SetPriceAlert) -> PriceAlert | None:
    """The same alert again (same crop, place, direction and amount) renews it rather than adding a twin; past
    MAX_ALERTS a new one is refused (the dialogs say so before asking; this holds against two at once)."""
    crop_id = db.scalar(select(Crop.id).where(Crop.code == e.crop))
    today = e.expires_on - timedelta(days=ALERT_DAYS)  # the day the farmer set it
    db.execute(select(Farmer.id).where(Farmer.id == e.farmer_id).with_for_update())  # one at a time per farmer
    mine = db.scalars(select(PriceAlert).where(PriceAlert.farmer_id == e.farmer_id, *active(today))).all()
    twin = next((a for a in mine if (a.crop_id, a.mandi_id, a.district_id, a.direction, a.amount)
                 == (crop_id, e.mandi_id, e.district_id, e.direction, e.amount)), None)
    if twin:
        twin.expires_on = max(twin.expires_on, e.expires_on)
        return twin
    if crop_id is None or len(mine) >= MAX_ALERTS:
        log.warning("price alert not set", extra={"reason": "unknown crop" if crop_id is None else "too many"})
        return None
    alert = PriceAlert(farmer_id=e.farmer_id, crop_id=crop_id, mandi_id=e.mandi_id, district_id=e.district_id,
                       direction=e.direction, amount=e.amount, channel=e.channel, expires_on=e.expires_on,
                       armed=e.armed, times_sent=0)
    db.add(alert)
    return alert


def cancel(db: Session, farmer_id: int, alert_ids: tuple[int, ...]) -> int:
    """Only the farmer's own alerts, and each once."""
    result = db.execute(update(PriceAlert).where(PriceAlert.farmer_id == farmer_id, PriceAlert.id.in_(alert_ids),
                                                 PriceAlert.cancelled_at.is_(None)).values(cancelled_at=utcnow()))
    return result.rowcount


@dataclass
class Checked:
    alerts: int = 0
    sent: int = 0
    armed: int = 0  # back on the other side: the next crossing will send
    skipped: dict = field(default_factory=lambda: defaultdict(int))

    def as_log(self) -> dict:
        return {"alerts": self.alerts, "sent": self.sent, "armed": self.armed, "skipped": dict(self.skipped)}


def check(service: Service, today: date, reference: ReferenceData | None = None) -> Checked:
    """Check every active alert against the latest prices: crop by crop, BATCH alerts a transaction, so a farmer
    cancelling one waits for a batch at most (an alert locked by them is skipped: the next import checks it)."""
    settings, sessions = service.settings, service.backends.sessions
    ref = (reference or ReferenceData(sessions)).fresh(0)
    checked = Checked()
    with sessions() as db:
        crop_ids = db.scalars(select(PriceAlert.crop_id).where(*active(today)).distinct()).all()
    for crop_id in crop_ids:
        with sessions() as db:
            latest = _latest(db, crop_id, today)
            ids = db.scalars(select(PriceAlert.id).where(PriceAlert.crop_id == crop_id, *active(today))
                             .order_by(PriceAlert.id)).all()
        nearest: dict[int | None, list[int]] = {}  # district -> its three nearest mandis in reach with a price
        for start in range(0, len(ids), BATCH):
            with sessions() as db, db.begin():
                alerts = db.scalars(select(PriceAlert).where(PriceAlert.id.in_(ids[start:start + BATCH]))
                                    .options(joinedload(PriceAlert.farmer), joinedload(PriceAlert.crop))
                                    .order_by(PriceAlert.id).with_for_update(of=PriceAlert, skip_locked=True)).all()
                for alert in alerts:
                    checked.alerts += 1
                    prices = _watched(alert, latest, ref, nearest)
                    _check_one(service, db, alert, prices, today, settings.price_stale_days, checked)
    return checked


def _latest(db: Session, crop_id: int, today: date) -> dict[int, tuple[date, int]]:
    """The newest reported modal price at each mandi trading the crop (of several varieties the middle one, as
    farmers are told: service.dialog_services). Demo prices never set an alert off."""
    rows = db.execute(select(MarketPrice.mandi_id, MarketPrice.price_date, MarketPrice.modal_price)
                      .where(MarketPrice.crop_id == crop_id, MarketPrice.source != "demo",
                             MarketPrice.price_date >= today - timedelta(days=LOOK_BACK_DAYS))
                      .order_by(MarketPrice.price_date.desc())).all()
    newest: dict[int, tuple[date, list]] = {}
    for mandi_id, day, modal in rows:
        if newest.setdefault(mandi_id, (day, []))[0] == day:
            newest[mandi_id][1].append(modal)
    return {mandi_id: (day, sorted(modals)[(len(modals) - 1) // 2]) for mandi_id, (day, modals) in newest.items()}


def _watched(alert: PriceAlert, latest: dict[int, tuple[date, int]], ref: ReferenceData,
             nearest: dict[int | None, list[int]]) -> list[tuple[int, date, int]]:
    """(mandi, day, modal) at the alert's mandi, or at the three mandis nearest its district that have a price, in
    reach as the price screen counts it (a mandi 400 km away is no use to sell at). The nearest are worked out once
    per district: thousands of alerts share a few hundred districts."""
    if alert.mandi_id is not None:
        return [(alert.mandi_id, *latest[alert.mandi_id])] if alert.mandi_id in latest else []
    if alert.district_id not in nearest:
        home = ref.districts.get(alert.district_id)
        near = sorted((distance_km(home, ref.districts[ref.mandis[m][1]]) if home else 0.0, m)
                      for m in latest if m in ref.mandis and ref.mandis[m][1] in ref.districts)
        nearest[alert.district_id] = [m for km, m in near[:NEAREST] if km <= PRICE_REACH_KM]
    return [(m, *latest[m]) for m in nearest[alert.district_id]]


def _check_one(service: Service, db: Session, alert: PriceAlert, prices: list[tuple[int, date, int]], today: date,
               stale_days: int, checked: Checked) -> None:
    """Every check looks afresh (a second import the same day, a corrected price, a late report for yesterday all
    count); `armed` is what keeps it to one SMS a crossing."""
    fresh = [p for p in prices if (today - p[1]).days <= stale_days]
    if not fresh:
        return
    pick = max if alert.direction == "above" else min
    mandi_id, day, modal = pick(fresh, key=lambda p: (p[2], p[1]))
    alert.last_price, alert.last_price_date = modal, day
    if not alert.crossed(modal):
        checked.armed += not alert.armed
        alert.armed = True
        return
    if not alert.armed:
        return
    farmer = alert.farmer
    if not farmer.has_consent or farmer.sms_opted_out:
        checked.skipped["no consent or opted out"] += 1
        return  # stays armed: nothing was said
    message = _send(service, db, alert, farmer, mandi_id, day, modal)
    if message.status == "failed":  # refused before sending (no DLT template): nothing was said, stays armed
        checked.skipped[message.last_error or "refused"] += 1
        return
    alert.armed, alert.times_sent, alert.last_sent_at = False, alert.times_sent + 1, utcnow()
    checked.sent += 1


def _send(service: Service, db: Session, alert: PriceAlert, farmer: Farmer, mandi_id: int, day: date,
          modal: int) -> OutboundMessage:
    t = texts(farmer.locale, latin=farmer.locale == "en")  # "Rs", not "₹": English stays GSM-7, half the cost
    mandi = db.get(Mandi, mandi_id)
    body = t(SMS[alert.direction], crop=alert.crop.name_in(farmer.locale, latin=t.latin),
             mandi=mandi.name_in(farmer.locale, latin=t.latin),
             price=t.money(modal), date=t.date(day), amount=t.money(alert.amount))
    key = f"price-alert:{alert.id}:{alert.times_sent + 1}"
    return queue_sms(service, db, phone=farmer.phone, body=str(body), locale=farmer.locale,
                     category="service_explicit", purpose="price_alert", idempotency_key=key, farmer_id=farmer.id)
