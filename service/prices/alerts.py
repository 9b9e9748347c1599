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

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from dialogs import effects as fx
from dialogs.flows.price_alerts import ALERT_DAYS, MAX_ALERTS
from dialogs.flows.prices import PRICE_REACH_KM
from dialogs.texts import N_, texts
from farmdb.models import Crop, Farmer, MarketPrice, PriceAlert
from farmdb.types import utcnow
from service.broadcasts import Personal, create_personal
from service.context import Service
from service.dialog_services import heard_price
from service.reference import ReferenceData, distance_km

log = logging.getLogger(__name__)

NEAREST = 3
BATCH = 1000  # alerts a transaction
# A batch's alerts with what deciding needs of their farmers, locked against a farmer's cancelling meanwhile.
BATCH_QUERY = (
    select(PriceAlert.id, PriceAlert.farmer_id, PriceAlert.mandi_id, PriceAlert.district_id, PriceAlert.direction,
           PriceAlert.amount, PriceAlert.armed, PriceAlert.times_sent, PriceAlert.last_sent_at, PriceAlert.last_price,
           PriceAlert.last_price_date, Farmer.phone, Farmer.locale, Farmer.sms_opted_out, Farmer.consent_given_at,
           Farmer.consent_withdrawn_at)
    .join(Farmer, Farmer.id == PriceAlert.farmer_id)
    .order_by(PriceAlert.id).with_for_update(of=PriceAlert, skip_locked=True)
)
ALERTS = PriceAlert.__table__
UPDATE_ONE = (  # on the table, not the model: an executemany of plain rows, no ORM objects to keep in step
    update(ALERTS).where(ALERTS.c.id == bindparam("b_id"))
    .values(last_price=bindparam("b_price"), last_price_date=bindparam("b_day"), armed=bindparam("b_armed"),
            times_sent=bindparam("b_sent"), last_sent_at=bindparam("b_sent_at"), updated_at=bindparam("b_now"))
)
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
    """Check every active alert against the latest prices: crop by crop, BATCH alerts a transaction (a farmer
    cancelling one waits for a batch at most; an alert locked by them is skipped: the next import checks it). The
    batch is read and written as plain rows, and its SMS go in bulk, as a broadcast of personal messages (one a day,
    "price-alerts:<day>", for the console's progress and cost)."""
    settings, sessions = service.settings, service.backends.sessions
    ref = (reference or ReferenceData(sessions)).fresh(0)
    checked = Checked()
    with sessions() as db:
        crop_ids = db.scalars(select(PriceAlert.crop_id).where(*active(today)).distinct()).all()
    for crop_id in crop_ids:
        crop = next((c for c in ref.crops if c.key == ref.crop_codes.get(crop_id)), None)
        with sessions() as db:
            latest = _latest(db, crop_id, today)
            ids = db.scalars(select(PriceAlert.id).where(PriceAlert.crop_id == crop_id, *active(today))
                             .order_by(PriceAlert.id)).all()
        if crop is None or not latest:
            checked.alerts += len(ids)
            continue
        nearest: dict[int | None, list[int]] = {}  # district -> its three nearest mandis in reach with a price
        for start in range(0, len(ids), BATCH):
            with sessions() as db, db.begin():
                rows = db.execute(BATCH_QUERY.where(PriceAlert.id.in_(ids[start:start + BATCH]))).all()
                changes, crossed = [], []
                for row in rows:
                    checked.alerts += 1
                    change, sms = _decide(row, _watched(row, latest, ref, nearest), today, settings.price_stale_days,
                                          checked)
                    if change:
                        changes.append(change)
                    if sms:
                        crossed.append((row, *sms))
                refused = _send(service, db, crop, ref, crossed, today, checked)
                changes = [c for c in changes if c["b_id"] not in refused]
                if changes:
                    db.execute(UPDATE_ONE, changes)
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
    return {mandi_id: (day, heard_price([(False, m, m, m) for m in modals])[2])
            for mandi_id, (day, modals) in newest.items()}


def _watched(alert, latest: dict[int, tuple[date, int]], ref: ReferenceData,
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


def _decide(row, prices: list[tuple[int, date, int]], today: date, stale_days: int, checked: Checked
            ) -> tuple[dict | None, tuple[int, date, int] | None]:
    """(what changes on the alert's row, or None; the (mandi, day, price) to send about, or None). Every check looks
    afresh (a second import the same day, a corrected price, a late report for yesterday all count); `armed` is
    what keeps it to one SMS a crossing."""
    fresh = [p for p in prices if (today - p[1]).days <= stale_days]
    if not fresh:
        return None, None
    pick = max if row.direction == "above" else min
    mandi_id, day, modal = pick(fresh, key=lambda p: (p[2], p[1]))
    crossed = modal >= row.amount if row.direction == "above" else modal <= row.amount
    change = {"b_id": row.id, "b_price": modal, "b_day": day, "b_armed": row.armed, "b_sent": row.times_sent,
              "b_sent_at": row.last_sent_at, "b_now": utcnow()}
    if not crossed:
        checked.armed += not row.armed
        change["b_armed"] = True
    elif row.armed and not (row.consent_given_at and not row.consent_withdrawn_at and not row.sms_opted_out):
        checked.skipped["no consent or opted out"] += 1  # stays armed: nothing was said
    elif row.armed:
        change.update(b_armed=False, b_sent=row.times_sent + 1, b_sent_at=utcnow())
        return change, (mandi_id, day, modal)
    unchanged = (modal, day, change["b_armed"]) == (row.last_price, row.last_price_date, row.armed)
    return (None if unchanged else change), None


def _send(service: Service, db: Session, crop, ref: ReferenceData, crossed: list, today: date,
          checked: Checked) -> set[int]:
    """The crossed alerts' SMS, in bulk; returns the alerts whose SMS DLT would drop: they stay armed."""
    if not crossed:
        return set()
    messages, alert_of = [], {}
    for row, mandi_id, day, modal in crossed:
        t = texts(row.locale, latin=row.locale == "en")  # "Rs", not "₹": English stays GSM-7, half the cost
        mandi = ref.mandis[mandi_id][0] if mandi_id in ref.mandis else None
        body = t(SMS[row.direction], crop=crop.label(row.locale, t.latin),
                 mandi=mandi.label(row.locale, t.latin) if mandi else "?", price=t.money(modal), date=t.date(day),
                 amount=t.money(row.amount))
        key = f"price-alert:{row.id}:{row.times_sent + 1}"
        alert_of[key] = row.id
        messages.append(Personal(key, row.farmer_id, row.phone, row.locale, str(body)))
    _, problems = create_personal(service, db, key=f"price-alerts:{today.isoformat()}", kind="price_alerts",
                                  category="service_explicit", purpose="price_alert", messages=messages)
    refused = {alert_of[p.split(": ", 1)[0]] for p in problems if p.split(": ", 1)[0] in alert_of}
    for problem in problems:
        checked.skipped[problem.split(": ", 1)[-1]] += 1
    checked.sent += len(crossed) - len(refused)
    return refused
