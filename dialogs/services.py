"""What the dialogs may ask of the outside world: read-only questions, answered by the core's implementation
(service/dialog_services.py) from the database, Redis and the weather API, or by anything else with the same methods
(tests/dialogs/farm.py keeps a farm in memory)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from dialogs.model import Profile, View


class ServiceUnavailable(Exception):
    """A dependency (the weather API) did not answer in time: show a friendly 'try later', never an error."""


@dataclass(frozen=True)
class Named:
    """A state, district, crop or plan as the dialogs show it: by name in the farmer's language and script."""

    key: int | str  # database id, or code for crops and plans
    names: dict
    romanised: dict

    def label(self, locale: str, latin: bool) -> str:
        if latin:
            return self.romanised.get(locale) or self.names["en"]
        return self.names.get(locale) or self.names["en"]


@dataclass(frozen=True)
class CropInfo(Named):
    stages: tuple[str, ...] = ()  # in growing order; FarmServices.crop_stage says which one a crop is at


@dataclass(frozen=True)
class DayWeather:
    day: date
    rain_mm: float
    temp_min_c: float
    temp_max_c: float
    wind_kmh: float | None = None


@dataclass(frozen=True)
class MandiPrice:
    mandi: Named
    price_date: date
    min_price: int
    max_price: int
    modal_price: int
    distance_km: float


@dataclass(frozen=True)
class PriceAlertInfo:
    """A farmer's active price alert: SMS when `crop`'s modal price at `mandi` (or, without one, at the three mandis
    nearest `district`) goes above or falls below `amount` rupees a quintal."""
    id: int
    crop: str
    mandi: Named | None
    district: Named | None
    direction: str  # above | below
    amount: int
    expires_on: date


@dataclass(frozen=True)
class PlanInfo(Named):
    price_minor: int = 0
    currency: str = "INR"
    duration_days: int = 0


@dataclass(frozen=True)
class ExpertAnswer:
    """An agronomist's answer to a farmer's ticket, sent by SMS and not yet heard on a call."""
    ticket: str
    text: str


class Layout(Protocol):
    """The channel's screen: how many pages a view takes (USSD: by characters; voice: by options read out)."""

    def page_count(self, view: View) -> int: ...


class FarmServices(Protocol):
    default_locale: str
    grievance_contact: str  # where a farmer complains about their data (GRIEVANCE_CONTACT): said in consent notices
    price_stale_days: int  # a price older than this many days is said to be old (PRICE_STALE_DAYS)
    layout: Layout

    def today(self) -> date: ...
    def profile(self, phone: str) -> Profile | None: ...
    def states(self) -> list[Named]: ...
    def districts(self, state_id: int) -> list[Named]: ...
    def find_states(self, text: str) -> list[Named]: ...
    def find_districts(self, state_id: int, text: str) -> list[Named]: ...
    def district(self, district_id: int) -> Named | None: ...
    def crops(self) -> list[CropInfo]: ...
    def crop_stage(self, crop: str, sown_on: date) -> str | None: ...
    def forecast(self, district_id: int, days: int = 3) -> list[DayWeather]: ...
    def prices(self, crop: str, district_id: int | None, limit: int = 3) -> list[MandiPrice]: ...
    def advisory(self, crop: str, stage: str, state_id: int | None) -> dict[str, str] | None: ...
    def plans(self) -> list[PlanInfo]: ...
    def new_ticket(self) -> str: ...
    # For SMS, where a farmer writes names rather than picking them from lists:
    def find_districts_anywhere(self, text: str) -> list[tuple[str, int, int]]: ...  # (label, state_id, id)
    def district_named(self, name: str, prefer_state: int | None = None, text: str = "") -> Named | None: ...
    def crops_in(self, text: str) -> list[str]: ...
    def latest_payment(self, farmer_id: int) -> tuple[int, PlanInfo, str] | None: ...
    def price_alerts(self, farmer_id: int) -> list[PriceAlertInfo]: ...  # active ones, oldest first
    def find_mandis(self, text: str) -> list[Named]: ...  # mandis named so ("lasalgaon", "लासलगाव")
    def price_at(self, crop: str, mandi_id: int) -> MandiPrice | None: ...  # the latest, distance 0
    def waiting_answer(self, farmer_id: int) -> ExpertAnswer | None: ...
