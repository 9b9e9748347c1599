"""States, districts and mandis.

Districts come from the 2011 Census list (DataMeet, CC BY 2.5 IN) with headquarters coordinates and Devanagari
variants from GeoNames (CC BY 4.0); their names (English as the district is called today, Hindi, Marathi, former
names) from district_names.csv; see data/README.md. Corrections applied here, each for a stated reason:
- state names as written today ("Arunachal Pradesh", not the census file's "Arunanchal Pradesh");
- the ten districts that formed Telangana in 2014 are filed under Telangana, not Andhra Pradesh;
- a district is found by its census code, so a renamed one (Allahabad, now Prayagraj) is renamed in place, and its
  old names stay among its spellings, for matching what farmers type;
- the census map's "Data Not Available" (the part of Jammu & Kashmir the census did not count) is not a district;
- gaps in coordinates are filled from district_coordinates_fill.csv (GeoNames, method per row), and what is still
  missing (or known wrong, WRONG_HEADQUARTERS) is estimated as the mean of the state's other headquarters, marked
  "estimate:state-mean".
"""
from __future__ import annotations

import csv
import json
import unicodedata
from collections import defaultdict
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from farmdb.models import District, Farmer, Mandi, MarketPrice, State, WeatherForecast
from farmdb.seed.upsert import Upserter

DATA = Path(__file__).with_name("data")

TELANGANA_2011 = frozenset({
    "Adilabad", "Hyderabad", "Karimnagar", "Khammam", "Mahbubnagar", "Medak", "Nalgonda", "Nizamabad",
    "Rangareddy", "Warangal",
})
# Rows of the census map that are not districts.
NOT_DISTRICTS = frozenset({"Data Not Available"})
# Headquarters the GeoNames join got wrong: Bishnupur (Manipur) was matched to Bishnupur in West Bengal.
WRONG_HEADQUARTERS = frozenset({("Manipur", "Bishnupur")})


def read_json(name: str):
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def load_states(session: Session) -> dict[str, State]:
    """Returns states by every name they go by (current and census spelling)."""
    upsert = Upserter(session, State, ["name"])
    by_name: dict[str, State] = {}
    for item in read_json("states.json"):
        state = upsert.put({"name": item["name"], "census_code": item["census_code"],
                            "names": item["names"], "romanised": item.get("romanised", {})})
        by_name[item["name"]] = state
        if item.get("census_name"):
            by_name[item["census_name"]] = state
    session.flush()
    return by_name


def load_districts(session: Session, states: dict[str, State]) -> dict[tuple[str, str], District]:
    """Returns districts by (current state name, district name as it is today)."""
    fills, named = _coordinate_fills(), district_names()
    rows = []
    with (DATA / "india_districts_2011.csv").open(encoding="utf-8") as f:
        for rec in csv.DictReader(f):
            if rec["district"] in NOT_DISTRICTS:
                continue
            state_name = "Telangana" if rec["district"] in TELANGANA_2011 and rec["state"] == "Andhra Pradesh" \
                else states[rec["state"]].name
            entry = named.get(rec["district_census_code"])
            if entry is None or (entry["state"], entry["census_name"]) != (state_name, rec["district"]):
                raise ValueError(f"district_names.csv: no row for {rec['district']!r} ({state_name}, census code "
                                 f"{rec['district_census_code']})")
            rows.append((states[state_name], rec, entry))

    known: dict[int, list[tuple[float, float]]] = defaultdict(list)
    placed = {}
    for state, rec, _ in rows:
        point = _coordinates(rec, fills.get(rec["district_census_code"]))
        placed[rec["district_census_code"]] = point
        if point[0] is not None:
            known[state.id].append(point[:2])

    # By census code: a renamed district is the same row under its new name (farmers and prices keep pointing at it).
    upsert = Upserter(session, District, ["census_code"])
    result = {}
    for state, rec, entry in rows:
        lat, lon, source = placed[rec["district_census_code"]]
        if lat is None and known[state.id]:
            points = known[state.id]
            lat = round(sum(p[0] for p in points) / len(points), 4)
            lon = round(sum(p[1] for p in points) / len(points), 4)
            source = "estimate:state-mean"
        district = upsert.put({
            "state_id": state.id, "name": entry["name"], "census_code": rec["district_census_code"],
            "latitude": lat, "longitude": lon, "coordinates_source": source,
            "names": {"en": entry["name"], "hi": entry["hi"], "mr": entry["mr"]},
            "romanised": {},
            "spellings": _district_spellings(rec, entry),
        })
        result[(state.name, entry["name"])] = district
    session.flush()
    _drop_not_districts(session)
    return result


def district_names() -> dict[str, dict]:
    """district_names.csv by census code: the English name today, Hindi, Marathi, and the other names
    ("Allahabad|इलाहाबाद") as a list."""
    with (DATA / "district_names.csv").open(encoding="utf-8") as f:
        return {row["district_census_code"]: {**row, "aliases": [a.strip() for a in row["aliases"].split("|")
                                                                 if a.strip()]}
                for row in csv.DictReader(f)}


def _drop_not_districts(session: Session) -> None:
    """Earlier seeds loaded the census map's "Data Not Available" as a district of Jammu & Kashmir: it goes, with its
    demo forecasts, unless a farmer, mandi or price was filed under it (then an operator decides)."""
    for district in session.scalars(select(District).where(District.name.in_(NOT_DISTRICTS))).all():
        used = [model for model in (Farmer, Mandi, MarketPrice)
                if session.scalar(select(model.id).where(model.district_id == district.id).limit(1)) is not None]
        if not used:
            session.execute(delete(WeatherForecast).where(WeatherForecast.district_id == district.id))
            session.delete(district)
    session.flush()


def _coordinates(rec: dict, fill: dict | None) -> tuple[float | None, float | None, str | None]:
    if (rec["state"], rec["district"]) in WRONG_HEADQUARTERS:
        return None, None, None
    if rec["hq_latitude"]:
        return float(rec["hq_latitude"]), float(rec["hq_longitude"]), f"geonames:{rec['hq_geonameid']}"
    if fill:
        return float(fill["latitude"]), float(fill["longitude"]), f"geonames:{fill['geonameid']}"
    return None, None, None


def _coordinate_fills() -> dict[str, dict]:
    path = DATA / "district_coordinates_fill.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as f:
        return {row["district_census_code"]: row for row in csv.DictReader(f)}


def _district_spellings(rec: dict, entry: dict) -> list[str]:
    """Other ways the district is written, for matching what farmers type: the census name when it is no longer the
    name, former names and common spellings (district_names.csv), the GeoNames variants of its headquarters. The
    names themselves (English, Hindi, Marathi) are matched anyway."""
    spellings = [rec["district"], *entry["aliases"], *(v for v in rec["hq_names_devanagari"].split("|") if v)]
    hq = _ascii(rec["hq_name"]).lower()
    if hq:
        spellings.append(hq)
    seen, result = {entry["name"].casefold(), entry["hi"], entry["mr"]}, []
    for spelling in spellings:
        if spelling.casefold() not in seen:
            seen.add(spelling.casefold())
            result.append(spelling)
    return result


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def load_mandis(session: Session, districts: dict[tuple[str, str], District]) -> dict[str, tuple[Mandi, list[str]]]:
    """Returns mandis by name with the crop codes that trade there (used for demo prices)."""
    upsert = Upserter(session, Mandi, ["district_id", "name"])
    result = {}
    for item in read_json("mandis.json"):
        district = districts.get((item["state"], item["district"]))
        if district is None:
            raise ValueError(f"mandis.json: {item['name']}: no district {item['district']!r} in {item['state']!r}")
        mandi = upsert.put({"district_id": district.id, "name": item["name"], "names": item["names"],
                            "romanised": item.get("romanised", {})})
        result[item["name"]] = (mandi, item.get("crops", []))
    session.flush()
    return result
