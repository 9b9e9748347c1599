"""States, districts and mandis.

Districts come from the 2011 Census list (DataMeet, CC BY 2.5 IN) with headquarters coordinates and Devanagari names
from GeoNames (CC BY 4.0); see data/README.md. Corrections applied here, each for a stated reason:
- state names as written today ("Arunachal Pradesh", not the census file's "Arunanchal Pradesh");
- the ten districts that formed Telangana in 2014 are filed under Telangana, not Andhra Pradesh;
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

from sqlalchemy.orm import Session

from farmdb.models import District, Mandi, State
from farmdb.seed.upsert import Upserter

DATA = Path(__file__).with_name("data")

TELANGANA_2011 = frozenset({
    "Adilabad", "Hyderabad", "Karimnagar", "Khammam", "Mahbubnagar", "Medak", "Nalgonda", "Nizamabad",
    "Rangareddy", "Warangal",
})
MARATHI_STATES = frozenset({"Maharashtra", "Goa"})
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
    """Returns districts by (current state name, district name)."""
    fills = _coordinate_fills()
    rows = []
    with (DATA / "india_districts_2011.csv").open(encoding="utf-8") as f:
        for rec in csv.DictReader(f):
            state_name = "Telangana" if rec["district"] in TELANGANA_2011 and rec["state"] == "Andhra Pradesh" \
                else states[rec["state"]].name
            rows.append((states[state_name], rec))

    known: dict[int, list[tuple[float, float]]] = defaultdict(list)
    placed = {}
    for state, rec in rows:
        point = _coordinates(rec, fills.get(rec["district_census_code"]))
        placed[rec["district_census_code"]] = point
        if point[0] is not None:
            known[state.id].append(point[:2])

    upsert = Upserter(session, District, ["state_id", "name"])
    result = {}
    for state, rec in rows:
        lat, lon, source = placed[rec["district_census_code"]]
        if lat is None and known[state.id]:
            points = known[state.id]
            lat = round(sum(p[0] for p in points) / len(points), 4)
            lon = round(sum(p[1] for p in points) / len(points), 4)
            source = "estimate:state-mean"
        variants = [v for v in rec["hq_names_devanagari"].split("|") if v]
        district = upsert.put({
            "state_id": state.id, "name": rec["district"], "census_code": rec["district_census_code"],
            "latitude": lat, "longitude": lon, "coordinates_source": source,
            "names": _district_names(rec["district"], variants, state.name),
            "romanised": {},
            "spellings": _district_spellings(rec, variants),
        })
        result[(state.name, rec["district"])] = district
    session.flush()
    return result


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


def _district_names(english: str, variants: list[str], state: str) -> dict[str, str]:
    """GeoNames lists Devanagari variants without saying which language each is. Marathi writes ळ and a long ू in
    -पूर where Hindi writes ल and -पुर, so in Maharashtra and Goa prefer such a variant for Marathi."""
    names = {"en": english}
    if not variants:
        return names
    hindi = next((v for v in variants if "ळ" not in v), variants[0])
    names["hi"] = hindi
    names["mr"] = hindi
    if state in MARATHI_STATES:
        names["mr"] = next((v for v in variants if "ळ" in v), None) \
            or next((v for v in variants if v.endswith("पूर")), None) or variants[0]
    return names


def _district_spellings(rec: dict, variants: list[str]) -> list[str]:
    spellings = list(variants)
    hq = _ascii(rec["hq_name"]).lower()
    if hq and hq != rec["district"].lower():
        spellings.append(hq)
    return spellings


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
