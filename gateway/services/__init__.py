"""The gateway's answers to the dialogs' questions (dialogs.services.FarmServices), from the database, Redis and the
weather API. Reference data comes from memory; only prices, forecasts and profiles touch the database on a hop."""
from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from dialogs.model import Profile
from dialogs.services import CropInfo, DayWeather, Layout, MandiPrice, Named, PlanInfo, ServiceUnavailable
from farmdb.models import ExpertRequest, Farmer, MarketPrice
from gateway.services.reference import Place, ReferenceData, distance_km

PRICE_MAX_AGE_DAYS = 14  # older prices mislead more than they help


class GatewayServices:
    """One per channel (the layout differs); the reference data and weather provider are shared."""

    def __init__(self, *, sessions: sessionmaker[Session], reference: ReferenceData, weather, layout: Layout,
                 default_locale: str, timezone: str, clock: Callable[[], date] | None = None):
        self._sessions, self._reference, self._weather = sessions, reference, weather
        self.layout, self.default_locale = layout, default_locale
        self._zone = ZoneInfo(timezone)
        self._clock = clock  # tests pin the day; otherwise today in the farmers' time zone

    @property
    def _ref(self) -> ReferenceData:
        return self._reference.fresh()

    def today(self) -> date:
        return self._clock() if self._clock else datetime.now(self._zone).date()

    def profile(self, phone: str) -> Profile | None:
        with self._sessions() as db:
            farmer = db.scalar(select(Farmer).options(selectinload(Farmer.crops)).where(Farmer.phone == phone))
            if farmer is None or not farmer.has_consent:
                return None
            return profile_of(farmer, self._ref)

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
        days, current = (self.today() - sown_on).days, None
        for stage, from_day in self._ref.crop_stage_days.get(crop, ()):
            if days >= from_day:
                current = stage
        return current

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
        since = self.today() - timedelta(days=PRICE_MAX_AGE_DAYS)
        with self._sessions() as db:
            rows = db.scalars(
                select(MarketPrice).where(MarketPrice.crop_id == crop_id, MarketPrice.price_date >= since)
                .order_by(MarketPrice.price_date.desc())
            ).all()
        latest: dict[int, MarketPrice] = {}
        for row in rows:
            latest.setdefault(row.mandi_id, row)
        home = ref.districts.get(district_id) if district_id else None
        found = []
        for mandi_id, row in latest.items():
            mandi, mandi_district = ref.mandis[mandi_id]
            distance = distance_km(home, ref.districts[mandi_district]) if home else 0.0
            found.append(MandiPrice(mandi, row.price_date, row.min_price, row.max_price, row.modal_price, distance))
        found.sort(key=lambda p: (p.distance_km, -p.price_date.toordinal()))
        return found[:limit]

    def advisory(self, crop: str, stage: str, state_id: int | None) -> dict[str, str] | None:
        advisories = self._ref.advisories
        return advisories.get((crop, stage, state_id)) or advisories.get((crop, stage, None))

    def plans(self) -> list[PlanInfo]:
        return self._ref.plans

    def new_ticket(self) -> str:
        """Seven digits: easy to say on the phone and type on a keypad; checked unused."""
        with self._sessions() as db:
            while True:
                ticket = str(secrets.randbelow(9_000_000) + 1_000_000)
                if db.scalar(select(ExpertRequest.id).where(ExpertRequest.ticket == ticket)) is None:
                    return ticket


def profile_of(farmer: Farmer, reference: ReferenceData) -> Profile:
    codes = {crop_id: code for code, crop_id in reference.crop_ids.items()}
    return Profile(
        farmer_id=farmer.id, name=farmer.name or "", locale=farmer.locale, state_id=farmer.state_id,
        district_id=farmer.district_id, sms_opted_out=farmer.sms_opted_out,
        crops={codes[fc.crop_id]: fc.sown_on.isoformat() if fc.sown_on else None for fc in farmer.crops
               if fc.crop_id in codes},
    )
