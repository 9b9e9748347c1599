"""Reference data in memory: states, districts, crops, mandis, plans, advisories.

A USSD hop must answer in milliseconds, so none of this is read from the database on a hop: it is loaded once per
process and reloaded after REFRESH_S, so an operator's edits show up within minutes without a restart.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, sessionmaker

from dialogs.services import CropInfo, Named, PlanInfo
from farmdb.models import Advisory, Crop, District, Mandi, Plan, State
from nlu.transliterate import phonetic_key, skeleton

REFRESH_S = 300
MATCH_CUTOFF = 78  # rapidfuzz ratio of phonetic keys: below this a typed name is not taken as a match
CLEAR_LEAD = 8  # the best match wins outright when it leads the next by this much


@dataclass(frozen=True)
class Place(Named):
    state_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None


class NameMatcher:
    """Finds items by any of their spellings (English, Hindi, Marathi, romanised, variants), comparing phonetic
    keys so that 'nasik', 'Nashik' and 'नाशिक' are the same; one spelling may belong to several items (there is an
    Aurangabad in Maharashtra and one in Bihar)."""

    def __init__(self, spellings: dict[object, list[str]]):
        self.keys: dict[str, set] = {}
        for item, names in spellings.items():
            for name in names:
                key = phonetic_key(name)
                if key:
                    self.keys.setdefault(key, set()).add(item)
        self.skeletons = {key: skeleton(key) for key in self.keys}

    def find(self, text: str, allowed: set | None = None) -> list[object]:
        query = phonetic_key(text)
        if len(query.replace(" ", "")) < 3:
            return []
        exact = {item for item in self.keys.get(query, ()) if allowed is None or item in allowed}
        if len(exact) == 1:
            return list(exact)
        query_skeleton = skeleton(query)
        best: dict[object, float] = {}
        for key, items in self.keys.items():
            items = items if allowed is None else items & allowed
            if not items:
                continue
            score = max(fuzz.ratio(query, key), 0.95 * fuzz.ratio(query_skeleton, self.skeletons[key]))
            if len(query) >= 4 and key.startswith(query):
                score = max(score, 90.0)  # the start of a long name: "chandra" for Chandrapur
            if score >= MATCH_CUTOFF:
                for item in items:
                    best[item] = max(best.get(item, 0.0), score)
        ranked = sorted(best.items(), key=lambda kv: -kv[1])
        if not ranked:
            return []
        if len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= CLEAR_LEAD:
            return [ranked[0][0]]
        return [item for item, score in ranked if ranked[0][1] - score < CLEAR_LEAD][:8]


def _spellings(names: dict, romanised: dict, extra: list) -> list[str]:
    return [s for s in {*names.values(), *romanised.values(), *extra} if s]


class ReferenceData:
    def __init__(self, sessions: sessionmaker[Session]):
        self._sessions = sessions
        self._lock = threading.Lock()
        self._loaded_at = -math.inf

    def fresh(self, max_age_s: float = REFRESH_S) -> "ReferenceData":
        """Loaded at most `max_age_s` ago: a price at a mandi an import has just created asks for 30 s."""
        if time.monotonic() - self._loaded_at > max_age_s:
            with self._lock:
                if time.monotonic() - self._loaded_at > max_age_s:
                    self._load()
        return self

    def _load(self) -> None:
        with self._sessions() as db:
            states = db.scalars(select(State).order_by(State.name)).all()
            districts = db.scalars(select(District).order_by(District.name)).all()
            crops = db.scalars(select(Crop).order_by(Crop.id)).all()
            mandis = db.scalars(select(Mandi)).all()
            plans = db.scalars(select(Plan).where(Plan.active).order_by(Plan.price_minor)).all()
            advisories = db.scalars(select(Advisory).options(joinedload(Advisory.crop))).all()

            self.states = [Named(s.id, s.names, s.romanised) for s in states]
            self.districts = {d.id: Place(d.id, d.names, d.romanised, d.state_id, d.latitude, d.longitude)
                              for d in districts}
            self.districts_by_state: dict[int, list[Place]] = {}
            self.districts_by_name: dict[str, list[Place]] = {}
            self.state_names = {s.id: s.name for s in states}
            for place in self.districts.values():
                self.districts_by_state.setdefault(place.state_id, []).append(place)
                self.districts_by_name.setdefault(place.names["en"].casefold(), []).append(place)
            # Then under the Latin names they went by (Aurangabad is also Chhatrapati Sambhajinagar, after Bihar's).
            for district in districts:
                for former in {s.casefold() for s in district.spellings if s.isascii()} - {district.name.casefold()}:
                    self.districts_by_name.setdefault(former, []).append(self.districts[district.id])
            self.crops = [CropInfo(c.code, c.names, c.romanised, tuple(s["stage"] for s in c.stages))
                          for c in crops]
            self.crop_ids = {c.code: c.id for c in crops}
            self.crop_codes = {c.id: c.code for c in crops}
            self.crop_stage_days = {c.code: tuple((s["stage"], s["from_day"]) for s in c.stages) for c in crops}
            self.mandis = {m.id: (Named(m.id, m.names, m.romanised), m.district_id) for m in mandis}
            self.plans = [PlanInfo(p.code, p.names, p.romanised, p.price_minor, p.currency, p.duration_days)
                          for p in plans]
            self.plan_ids = {p.code: p.id for p in plans}
            self.advisories = {(a.crop.code, a.stage, a.state_id): dict(a.texts) for a in advisories}

        self.state_matcher = NameMatcher({s.id: _spellings(s.names, s.romanised, []) for s in states})
        self.district_matcher = NameMatcher({d.id: _spellings(d.names, d.romanised, d.spellings) for d in districts})
        self.mandi_matcher = NameMatcher({m.id: _spellings(m.names, m.romanised, [m.name]) for m in mandis})
        self._loaded_at = time.monotonic()

    def find_states(self, text: str) -> list[Named]:
        by_id = {s.key: s for s in self.states}
        return [by_id[k] for k in self.state_matcher.find(text)]

    def find_districts_anywhere(self, text: str) -> list[Place]:
        return [self.districts[k] for k in self.district_matcher.find(text)]

    def find_mandis(self, text: str) -> list[Named]:
        return [self.mandis[k][0] for k in self.mandi_matcher.find(text)]

    def find_districts(self, state_id: int, text: str) -> list[Place]:
        allowed = {d.key for d in self.districts_by_state.get(state_id, [])}
        return [self.districts[k] for k in self.district_matcher.find(text, allowed)]


def distance_km(a: Place, b: Place) -> float:
    """Great-circle distance between two places (haversine); infinite when either has no coordinates."""
    if None in (a.latitude, a.longitude, b.latitude, b.longitude):
        return math.inf
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))
