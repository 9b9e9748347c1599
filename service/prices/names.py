"""Agmarknet's names to ours: its commodity names to our crops (farmdb/seed/data/agmarknet_commodities.json, the
table), and its states, districts and markets to our states, districts and mandis.

Commodity names are compared without case, spaces or punctuation, so "Paddy(Dhan)(Common)" and "Paddy (Dhan)
(Common)" are one. Places are found by sound, as the SMS reader finds a typed district (service.reference's
NameMatcher): the state by name, then the market: an alias in the table, else a mandi of the state with its name
in the record's district, else one in that district spelt alike word by word ("Amarawati" is Amravati); failing
all, a mandi of that name is created in the district. Two markets of one name in two districts (Ashti in Beed and in
Wardha) are two mandis. The district is found within the state by its name today, a former name or alias
(district_names.csv) or their spelling by sound, exactly: never by a close score, which takes Sangareddy (a district
since 2016) for Rangareddy. A district we cannot find is reported, never guessed; its market is then only found as
the one mandi of that name in the state (Agmarknet's Hapur is our Ghaziabad's Hapur), and that is reported too.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from farmdb.models import District, Mandi, State
from nlu.transliterate import phonetic_key
from service.reference import NameMatcher

TABLE = Path(__file__).resolve().parents[2] / "farmdb" / "seed" / "data" / "agmarknet_commodities.json"
_MARKET_NOISE = re.compile(r"(?i)\b(a\.?\s?p\.?\s?m\.?\s?c\b\.?|krishi upaj mandi( samiti)?\b|market yard\b)")


def name_key(name: str) -> str:
    return re.sub(r"[\W_]+", "", name.casefold())


@dataclass(frozen=True)
class Crop:
    code: str
    variety: str  # what is stored as the variety: the record's, after the commodity name's qualifier if any


@dataclass(frozen=True)
class Table:
    commodities: dict[str, dict]  # name_key -> the table's entry (with "name": the table's spelling)
    states: dict[str, str]  # name_key of Agmarknet's spelling -> our state name
    markets: dict[tuple[str, str], str]  # (our state name, market key) -> our mandi name

    def crop_for(self, commodity: str, variety: str) -> Crop | tuple[str, str]:
        """Our crop and the variety to store, or why not and what: ("not carried", "Cotton/Lint"), ("unknown
        commodity", "Dragon Fruit")."""
        base = self.commodities.get(name_key(commodity))
        if base is None:
            return "unknown commodity", commodity
        entry = base.get("varieties", {}).get(variety, base)
        if "not_carried" in entry:
            return "not carried", commodity if entry is base else f"{commodity}/{variety}"
        kind = entry.get("kind") or base.get("kind")
        return Crop(entry["crop"], f"{kind}/{variety}"[:80] if kind else variety)


@lru_cache(maxsize=1)
def table(path: Path = TABLE) -> Table:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Table(commodities={name_key(name): {"name": name, **entry} for name, entry in data["commodities"].items()},
                 states={name_key(theirs): ours for theirs, ours in data["states"].items()},
                 markets={(m["state"], market_key(m["market"])): m["mandi"] for m in data["markets"]})


def market_key(name: str) -> str:
    """A market's name by sound, without "APMC" and its like: "Amreli APMC" is Amreli."""
    return phonetic_key(" ".join(_MARKET_NOISE.sub(" ", name).split())) or phonetic_key(name)


def mandi_name(market: str) -> str:
    """The name a new mandi is given: Agmarknet's, without "APMC" and its like, spaced as ours ("Pune (Moshi)")."""
    name = " ".join(_MARKET_NOISE.sub(" ", market).split()) or market
    return re.sub(r"\s*\(\s*", " (", re.sub(r"\s*\)", ")", name)).strip(" -,.")[:64]


@dataclass
class _Mandi:
    id: int
    district_id: int
    name: str
    keys: set[str]


@dataclass
class Places:
    """Our states, districts and mandis as one import needs them, read once; mandis it creates are added."""

    db: Session
    table: Table
    new_mandis: list[str] = field(default_factory=list)  # "Name (District, State)"
    by_name: list[str] = field(default_factory=list)  # markets of an unknown district found by name in another

    def __post_init__(self):
        db = self.db
        self.states = {s.id: s for s in db.scalars(select(State))}
        self.state_by_name = {name_key(s.name): s.id for s in self.states.values()}
        self.state_matcher = NameMatcher({s.id: _spellings(s) for s in self.states.values()})
        districts = db.scalars(select(District)).all()
        self.districts = {d.id: d for d in districts}
        self.district_keys: dict[str, set[int]] = {}  # phonetic key of each name, former name and alias -> ids
        for d in districts:
            for spelling in _spellings(d) + list(d.spellings or ()):
                self.district_keys.setdefault(phonetic_key(spelling), set()).add(d.id)
        self.in_state: dict[int, set[int]] = {}
        for d in districts:
            self.in_state.setdefault(d.state_id, set()).add(d.id)
        self.mandis: dict[int, list[_Mandi]] = {}  # state id -> its mandis
        for mandi in db.scalars(select(Mandi)):
            self._know(mandi)
        self._resolved: dict[tuple[str, str, str], int | str] = {}

    def mandi_for(self, state: str, district: str, market: str) -> int | str:
        """Our mandi's id for Agmarknet's (state, district, market), or why not: "unknown state" or "unknown
        district"; a market we do not know in a district we do is created there."""
        asked = (state, district, market)
        if asked not in self._resolved:
            self._resolved[asked] = self._resolve(state, district, market)
        return self._resolved[asked]

    def _resolve(self, state: str, district: str, market: str) -> int | str:
        state_id = self._state(state)
        if state_id is None:
            return "unknown state"
        mandis, key = self.mandis.get(state_id, []), market_key(market)
        alias = self.table.markets.get((self.states[state_id].name, key))
        key = market_key(alias) if alias else key
        district_id = self._district(district, state_id)
        same_name = [m for m in mandis if key in m.keys]
        if district_id is None:
            # Agmarknet files some markets under districts made after 2011 that we do not have (Hapur, in our
            # Ghaziabad): its market is the one mandi of that name in the state, if there is one, and is reported.
            if len(same_name) != 1:
                return "unknown district"
            mandi = same_name[0]
            where = self.districts[mandi.district_id]
            self.by_name.append(f"{market} ({district}) as {mandi.name} ({where.name}, {self.states[state_id].name})")
            return mandi.id
        here = [m for m in same_name if m.district_id == district_id]
        if len(here) == 1:
            return here[0].id
        alike = [m for m in mandis if m.district_id == district_id and any(_spelt_alike(key, k) for k in m.keys)]
        if len(alike) == 1:
            return alike[0].id
        return self._create(district_id, market)

    def _state(self, name: str) -> int | None:
        ours = self.table.states.get(name_key(name), name)
        if name_key(ours) in self.state_by_name:
            return self.state_by_name[name_key(ours)]
        found = self.state_matcher.find(ours.replace(" and ", " & "))
        return found[0] if len(found) == 1 else None

    def _district(self, name: str, state_id: int) -> int | None:
        """The state's one district of that name, former name or alias, spelt alike by sound; else None."""
        found = self.district_keys.get(phonetic_key(name), set()) & self.in_state.get(state_id, set())
        return next(iter(found)) if len(found) == 1 else None

    def _create(self, district_id: int, market: str) -> int:
        district = self.districts[district_id]
        name = mandi_name(market)
        existing = self.db.scalar(select(Mandi).where(Mandi.district_id == district_id, Mandi.name == name))
        mandi = existing or Mandi(name=name, district_id=district_id, names={"en": name}, romanised={})
        if existing is None:
            self.db.add(mandi)
            self.db.flush()
            self.new_mandis.append(f"{name} ({district.name}, {self.states[district.state_id].name})")
        self._know(mandi)
        return mandi.id

    def _know(self, mandi: Mandi) -> None:
        keys = {market_key(n) for n in {mandi.name, *mandi.names.values(), *mandi.romanised.values()}} - {""}
        state_id = self.districts[mandi.district_id].state_id
        self.mandis.setdefault(state_id, []).append(_Mandi(mandi.id, mandi.district_id, mandi.name, keys))


def _spelt_alike(a: str, b: str) -> bool:
    """Two market names (keys) that differ only in spelling, word by word ("amaravati", "amravati"), never by a word
    of their own: "mandsaur fv" is not Mandsaur and "pune mosi" not Pune, they are other yards."""
    words_a, words_b = a.split(), b.split()
    return len(words_a) == len(words_b) and all(
        x == y or min(len(x), len(y)) >= 5 and not any(c.isdigit() for c in x + y) and fuzz.ratio(x, y) >= 80
        for x, y in zip(words_a, words_b))


def _spellings(row) -> list[str]:
    return [s for s in {row.name, *row.names.values(), *row.romanised.values()} if s]
