"""Crops (names and the spellings farmers type), stage advisories and subscription plans."""
from __future__ import annotations

from sqlalchemy.orm import Session

from farmdb.models import Advisory, Crop, Plan, State
from farmdb.seed.places import read_json
from farmdb.seed.upsert import Upserter


def load_crops(session: Session) -> dict[str, tuple[Crop, int]]:
    """Returns crops by code with the demo modal price (rupees per quintal) used for demo market prices."""
    upsert = Upserter(session, Crop, ["code"])
    result = {}
    for item in read_json("crops.json"):
        crop = upsert.put({
            "code": item["code"], "category": item["category"], "season": item["season"],
            "names": item["names"], "romanised": item.get("romanised", {}),
            "spellings": sorted(set(item.get("spellings", []))), "stages": item["stages"],
        })
        result[item["code"]] = (crop, item["demo_modal_price"])
    session.flush()
    return result


def load_advisories(session: Session, crops: dict[str, tuple[Crop, int]], states: dict[str, State]) -> int:
    upsert = Upserter(session, Advisory, ["key"])
    for item in read_json("advisories.json"):
        crop = crops[item["crop"]][0]
        if item["stage"] not in {s["stage"] for s in crop.stages}:
            raise ValueError(f"advisories.json: {item['crop']} has no stage {item['stage']!r}")
        region = item.get("region")
        upsert.put({
            "key": f"{item['crop']}:{item['stage']}:{region or 'all'}", "crop_id": crop.id, "stage": item["stage"],
            "state_id": states[region].id if region else None, "texts": item["texts"],
        })
    session.flush()
    return upsert.count


def load_plans(session: Session) -> int:
    upsert = Upserter(session, Plan, ["code"])
    for item in read_json("plans.json"):
        upsert.put({
            "code": item["code"], "names": item["names"], "romanised": item.get("romanised", {}),
            "descriptions": item.get("descriptions", {}), "price_minor": item["price_paise"],
            "currency": item.get("currency", "INR"), "duration_days": item["duration_days"], "active": True,
        })
    session.flush()
    return upsert.count
