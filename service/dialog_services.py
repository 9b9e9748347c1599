"""The answers to the dialogs' questions (dialogs.services.FarmServices), from the database, Redis and the weather
API. Reference data comes from memory; only prices, forecasts and profiles touch the database on a hop."""
from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, bindparam, select

from dialogs.model import Profile
from dialogs.services import (
    CropInfo, DayWeather, ExpertAnswer, Layout, MandiPrice, Named, PlanInfo, PriceAlertInfo, ServiceUnavailable,
)
from farmdb.models import ExpertRequest, Farmer, FarmerCrop, MarketPrice, Payment, PriceAlert
from farmdb.models.catalogue import stage_on
from farmdb.types import utcnow
from nlu.lexicon import crops as crop_lexicon
from service.connections import read_once
from service.reference import Place, ReferenceData, distance_km

PRICE_MAX_AGE_DAYS = 14  # older prices mislead more than they help
PRICES_CACHE_S = 300  # and sooner when an import says so (service.prices.freshness)
NEW_MANDI_RELOAD_S = 30  # a price at a mandi the reference data does not know yet reloads it, at most this often

# The two lookups a hop makes, built once: constructing a statement costs more than running it.
PROFILE_QUERY = (
    select(Farmer.id, Farmer.name, Farmer.locale, Farmer.state_id, Farmer.district_id, Farmer.sms_opted_out,
           FarmerCrop.crop_id, FarmerCrop.sown_on)
    .outerjoin(FarmerCrop, FarmerCrop.farmer_id == Farmer.id)
    .where(Farmer.phone == bindparam("phone"), Farmer.consent_given_at.is_not(None),
           Farmer.consent_withdrawn_at.is_(None))
)
LATEST_PAYMENT_QUERY = (
    select(Payment.amount_minor, Payment.plan_id, Payment.status)
    .where(Payment.farmer_id == bindparam("farmer_id")).order_by(Payment.created_at.desc()).limit(1)
)
# An answer is offered on a call for a month after it was sent, until heard once.
ANSWER_OFFERED_FOR = timedelta(days=30)
WAITING_ANSWER_QUERY = (
    select(ExpertRequest.ticket, ExpertRequest.answer)
    .where(ExpertRequest.farmer_id == bindparam("farmer_id"), ExpertRequest.answer.is_not(None),
           ExpertRequest.answer_heard_at.is_(None), ExpertRequest.answered_at >= bindparam("since"))
    .order_by(ExpertRequest.answered_at.desc()).limit(1)
)
PRICE_ALERTS_QUERY = (
    select(PriceAlert.id, PriceAlert.crop_id, PriceAlert.mandi_id, PriceAlert.district_id, PriceAlert.direction,
           PriceAlert.amount, PriceAlert.expires_on)
    .where(PriceAlert.farmer_id == bindparam("farmer_id"), PriceAlert.cancelled_at.is_(None),
           PriceAlert.expires_on >= bindparam("today"))
    .order_by(PriceAlert.id)
)
LATEST_PRICES_QUERY = (
    select(MarketPrice.mandi_id, MarketPrice.price_date, MarketPrice.min_price, MarketPrice.max_price,
           MarketPrice.modal_price, MarketPrice.source)
    .where(MarketPrice.crop_id == bindparam("crop_id"), MarketPrice.price_date >= bindparam("since"))
    .order_by(MarketPrice.price_date.desc())
)


class DialogServices:
    """One per channel (the layout differs); the reference data and weather provider are shared."""

    def __init__(self, *, reads: Engine, reference: ReferenceData, weather, layout: Layout,
                 default_locale: str, timezone: str, today: Callable[[], date] | None = None,
                 prices_version: Callable[[], object] = lambda: None, grievance_contact: str = "",
                 price_stale_days: int = 3):
        self._reads, self._reference, self._weather = reads, reference, weather
        self.layout, self.default_locale = layout, default_locale
        self.grievance_contact = grievance_contact  # GRIEVANCE_CONTACT, said in every consent notice
        self.price_stale_days = price_stale_days  # PRICE_STALE_DAYS: older prices are said to be old
        self._zone = ZoneInfo(timezone)
        self._today = today  # tests pin the day; otherwise today in the farmers' time zone
        self._prices_version = prices_version  # changes when an import has stored prices
        # crop id -> (day, read at, prices version, generation, the newest price at each mandi)
        self._price_cache: dict[int, tuple[date, float, object, int, dict]] = {}
        self._generations = itertools.count()
        self._nearest_cache: dict[tuple, list[MandiPrice]] = {}

    @property
    def _ref(self) -> ReferenceData:
        return self._reference.fresh()

    def today(self) -> date:
        return self._today() if self._today else datetime.now(self._zone).date()

    def profile(self, phone: str) -> Profile | None:
        # One query, plain columns, prepared once: this runs on the first hop of every session.
        rows = read_once(self._reads, PROFILE_QUERY, {"phone": phone})
        if not rows:
            return None
        codes = self._ref.crop_codes
        first = rows[0]
        return Profile(farmer_id=first.id, name=first.name or "", locale=first.locale, state_id=first.state_id,
                       district_id=first.district_id, sms_opted_out=first.sms_opted_out,
                       crops={codes[r.crop_id]: r.sown_on.isoformat() if r.sown_on else None for r in rows
                              if r.crop_id in codes})

    def states(self) -> list[Named]:
        return self._ref.states

    def districts(self, state_id: int) -> list[Named]:
        return self._ref.districts_by_state.get(state_id, [])

    def find_states(self, text: str) -> list[Named]:
        return self._ref.find_states(text)

    def find_districts(self, state_id: int, text: str) -> list[Named]:
        return self._ref.find_districts(state_id, text)

    def district(self, district_id: int) -> Place | None:
        return self._ref.districts.get(district_id)

    def crops(self) -> list[CropInfo]:
        return self._ref.crops

    def crop_stage(self, crop: str, sown_on: date) -> str | None:
        return stage_on(self._ref.crop_stage_days.get(crop, ()), sown_on, self.today())

    def forecast(self, district_id: int, days: int = 3) -> list[DayWeather]:
        district = self.district(district_id)
        if district is None:
            raise ServiceUnavailable(f"unknown district {district_id}")
        return self._weather.forecast(district, self.today(), days)

    def prices(self, crop: str, district_id: int | None, limit: int = 3) -> list[MandiPrice]:
        """The latest price at each mandi trading the crop, nearest mandis first."""
        ref = self._ref
        crop_id = ref.crop_ids.get(crop)
        if crop_id is None:
            return []
        generation, latest = self._latest_prices(crop_id)
        key = (crop_id, district_id, generation)  # recomputed whenever the latest prices are re-read
        nearest = self._nearest_cache.get(key)
        if nearest is None:
            if not latest.keys() <= ref.mandis.keys():  # a mandi an import has just created
                ref = self._reference.fresh(NEW_MANDI_RELOAD_S)
            home = ref.districts.get(district_id) if district_id else None
            nearest = []
            for mandi_id, (day, low, high, modal) in latest.items():
                if mandi_id not in ref.mandis:
                    continue  # reloaded within the last NEW_MANDI_RELOAD_S: it will be there shortly
                mandi, mandi_district = ref.mandis[mandi_id]
                distance = distance_km(home, ref.districts[mandi_district]) if home else 0.0
                nearest.append(MandiPrice(mandi, day, low, high, modal, distance))
            nearest.sort(key=lambda p: (p.distance_km, -p.price_date.toordinal()))
            if len(self._nearest_cache) > 20_000:
                self._nearest_cache.clear()
            if len(nearest) == len(latest):  # never keep an answer that leaves a mandi out
                self._nearest_cache[key] = nearest
        return nearest[:limit]

    def _latest_prices(self, crop_id: int) -> tuple[int, dict[int, tuple[date, int, int, int]]]:
        """(generation, the newest price at each mandi), kept PRICES_CACHE_S or until an import changes the prices
        version: mandi prices change once a day, farmers ask all day."""
        today, version = self.today(), self._prices_version()
        cached = self._price_cache.get(crop_id)
        if cached and cached[0] == today and cached[2] == version and time.monotonic() - cached[1] < PRICES_CACHE_S:
            return cached[3], cached[4]
        since = today - timedelta(days=PRICE_MAX_AGE_DAYS)
        rows = read_once(self._reads, LATEST_PRICES_QUERY, {"crop_id": crop_id, "since": since})
        newest: dict[int, list] = {}
        for mandi_id, day, low, high, modal, source in rows:
            if newest.setdefault(mandi_id, [day, []])[0] == day:
                newest[mandi_id][1].append((source == "demo", modal, low, high))
        latest = {mandi_id: (day, *heard_price(prices)) for mandi_id, (day, prices) in newest.items()}
        generation = next(self._generations)
        self._price_cache[crop_id] = (today, time.monotonic(), version, generation, latest)
        return generation, latest

    def price_at(self, crop: str, mandi_id: int) -> MandiPrice | None:
        ref = self._ref
        crop_id = ref.crop_ids.get(crop)
        latest = self._latest_prices(crop_id)[1].get(mandi_id) if crop_id else None
        if latest is None or mandi_id not in ref.mandis:
            return None
        day, low, high, modal = latest
        return MandiPrice(ref.mandis[mandi_id][0], day, low, high, modal, 0.0)

    def find_mandis(self, text: str) -> list[Named]:
        return self._ref.find_mandis(text)

    def price_alerts(self, farmer_id: int) -> list[PriceAlertInfo]:
        ref = self._ref
        rows = read_once(self._reads, PRICE_ALERTS_QUERY, {"farmer_id": farmer_id, "today": self.today()})
        if any(r.mandi_id and r.mandi_id not in ref.mandis for r in rows):  # at a mandi an import has just created
            ref = self._reference.fresh(NEW_MANDI_RELOAD_S)
        return [PriceAlertInfo(r.id, ref.crop_codes.get(r.crop_id, "?"),
                               ref.mandis[r.mandi_id][0] if r.mandi_id in ref.mandis else None,
                               ref.districts.get(r.district_id), r.direction, r.amount, r.expires_on)
                for r in rows if r.crop_id in ref.crop_codes]

    def advisory(self, crop: str, stage: str, state_id: int | None) -> dict[str, str] | None:
        advisories = self._ref.advisories
        return advisories.get((crop, stage, state_id)) or advisories.get((crop, stage, None))

    def plans(self) -> list[PlanInfo]:
        return self._ref.plans

    def find_districts_anywhere(self, text: str) -> list[tuple[str, int, int]]:
        ref = self._ref
        return [(f"{d.names['en']} ({ref.state_names[d.state_id]})", d.state_id, d.key)
                for d in ref.find_districts_anywhere(text)]

    def district_named(self, name: str, prefer_state: int | None = None, text: str = "") -> Place | None:
        """The district of that name: in a state the message names ("aurangabad bihar"), else in the farmer's own
        state when there is one there. Some names belong to two districts (Bilaspur, Hamirpur; Aurangabad is Bihar's
        and was Chhatrapati Sambhajinagar's): when neither says which, the answer names the state it is for (the one
        that has the name today first), so nobody acts on the wrong one."""
        places = self._ref.districts_by_name.get(name.casefold(), [])
        named = self._state_named_in(text, {p.state_id for p in places}) if len(places) > 1 and text else None
        wanted = named if named is not None else prefer_state
        own = next((p for p in places if p.state_id == wanted), None)
        if own or len(places) < 2:
            return own or (places[0] if places else None)
        state = self._ref.state_names[places[0].state_id]
        return replace(places[0], names={k: f"{v} ({state})" for k, v in places[0].names.items()},
                       romanised={k: f"{v} ({state})" for k, v in places[0].romanised.items()})

    def _state_named_in(self, text: str, among: set[int]) -> int | None:
        """One of these states, if the text names it (a word or two of it: "bihar", "himachal pradesh"). Only these
        are looked for, so a word that merely resembles some other state ("mausam", Assam) changes nothing."""
        words = text.split()
        found = {state.key for size in (1, 2, 3) for i in range(len(words) - size + 1)
                 for state in self._ref.find_states(" ".join(words[i:i + size])) if state.key in among}
        return found.pop() if len(found) == 1 else None

    def crops_in(self, text: str) -> list[str]:
        found = []
        for match in sorted(crop_lexicon().find(text), key=lambda m: m.start):
            if match.value not in found:
                found.append(match.value)
        return found

    def latest_payment(self, farmer_id: int) -> tuple[int, PlanInfo, str] | None:
        rows = read_once(self._reads, LATEST_PAYMENT_QUERY, {"farmer_id": farmer_id})
        if not rows:
            return None
        amount, plan_id, status = rows[0]
        plan = next((p for p in self._ref.plans if self._ref.plan_ids.get(p.key) == plan_id), None)
        return amount, plan or PlanInfo("plan", {"en": "plan"}, {}), status

    def waiting_answer(self, farmer_id: int) -> ExpertAnswer | None:
        rows = read_once(self._reads, WAITING_ANSWER_QUERY,
                         {"farmer_id": farmer_id, "since": utcnow() - ANSWER_OFFERED_FOR})
        return ExpertAnswer(rows[0].ticket, rows[0].answer) if rows else None

    def new_ticket(self) -> str:
        """Seven digits: easy to say on the phone and type on a keypad; checked unused."""
        with self._reads.connect() as db:
            while True:
                ticket = str(secrets.randbelow(9_000_000) + 1_000_000)
                if db.scalar(select(ExpertRequest.id).where(ExpertRequest.ticket == ticket)) is None:
                    return ticket


def heard_price(prices: list[tuple[bool, int, int, int]]) -> tuple[int, int, int]:
    """(min, max, modal) a farmer hears for one mandi and day: a reported price over a demo one, and of several
    varieties the middle one by modal price, with its own range (a range across varieties would say nothing)."""
    reported = [p for p in prices if not p[0]] or prices
    _, modal, low, high = sorted(reported)[(len(reported) - 1) // 2]
    return low, high, modal
