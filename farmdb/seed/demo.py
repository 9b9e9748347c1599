"""Demo data for trying the service: a week of mandi prices, a week of forecasts, one registered farmer.

Values are made up but plausible and deterministic (hashed from what they describe), dated from the day you seed:
seeding twice on one day changes nothing; seeding on a later day adds that day's prices and forecasts.
Not for production: only `kheti seed --demo` (as `make run` does) writes any of this.
"""
from __future__ import annotations

import hashlib
import math
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from farmdb.models import Crop, District, DltTemplate, Farmer, FarmerCrop, Mandi, MarketPrice, WeatherForecast
from farmdb.seed.upsert import Upserter
from farmdb.types import utcnow
from locales.dlt import catalogue_templates

PRICE_DAYS = 7
FORECAST_DAYS = 7
DEMO_FARMER_PHONE = "+919876543210"  # the number the USSD simulator dials from by default


def _unit(*parts) -> float:
    """A stable number in [0, 1) for the given parts: same input, same demo value, on every machine."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _round_to(value: float, step: int) -> int:
    return int(round(value / step) * step)


def load_prices(session: Session, mandis: dict[str, tuple[Mandi, list[str]]],
                crops: dict[str, tuple[Crop, int]], today: date) -> int:
    """Demo prices for the last PRICE_DAYS days. A day, mandi and crop that has a real price (imported from
    Agmarknet) gets no demo price: made-up numbers never overwrite, or sit beside, a reported one."""
    since = today - timedelta(days=PRICE_DAYS)
    reported = {tuple(row) for row in session.execute(
        select(MarketPrice.crop_id, MarketPrice.mandi_id, MarketPrice.price_date)
        .where(MarketPrice.price_date >= since, MarketPrice.source != "demo"))}
    upsert = Upserter(session, MarketPrice, ["crop_id", "mandi_id", "price_date", "variety"],
                      where=(MarketPrice.price_date >= since) & (MarketPrice.source == "demo"))
    for name, (mandi, crop_codes) in mandis.items():
        for code in crop_codes:
            crop, base = crops[code]
            step = 5 if base < 1000 else 10
            for back in range(PRICE_DAYS):
                day = today - timedelta(days=back)
                if (crop.id, mandi.id, day) in reported:
                    continue
                # Each mandi sits a little above or below the crop's level; days wander by a few percent.
                modal = base * (0.9 + 0.2 * _unit(name, code)) * (0.97 + 0.06 * _unit(name, code, day))
                upsert.put({
                    "crop_id": crop.id, "mandi_id": mandi.id, "district_id": mandi.district_id, "price_date": day,
                    "modal_price": _round_to(modal, step), "min_price": _round_to(modal * 0.86, step),
                    "max_price": _round_to(modal * 1.11, step), "source": "demo", "variety": "",
                })
    session.flush()
    return upsert.inserted + upsert.updated


def load_forecasts(session: Session, districts: dict[tuple[str, str], District], today: date) -> int:
    upsert = Upserter(session, WeatherForecast, ["district_id", "forecast_date"],
                      where=WeatherForecast.forecast_date >= today)
    monsoon = today.month in (6, 7, 8, 9)
    for district in districts.values():
        if district.latitude is None:
            continue
        for ahead in range(FORECAST_DAYS):
            day = today + timedelta(days=ahead)
            u = _unit(district.id, day)
            # Warmer to the south and in summer; rain mostly in the monsoon, now and then heavy (alert material).
            season = math.cos((today.timetuple().tm_yday - 135) / 365 * 2 * math.pi)
            t_max = 36 - (district.latitude - 20) * 0.5 + 6 * season + 4 * (u - 0.5)
            rain = 0.0
            if u > (0.35 if monsoon else 0.85):
                rain = round(((u - 0.3) * 140) if monsoon else (u - 0.85) * 120, 1)
            upsert.put({
                "district_id": district.id, "forecast_date": day, "rain_mm": rain,
                "temp_max_c": round(t_max, 1), "temp_min_c": round(t_max - 10 - 4 * _unit(day, district.id), 1),
                "source": "demo",
            })
    session.flush()
    return upsert.inserted + upsert.updated


def load_demo_farmer(session: Session, districts: dict[tuple[str, str], District],
                     crops: dict[str, tuple[Crop, int]], today: date) -> None:
    if session.scalar(select(Farmer).where(Farmer.phone == DEMO_FARMER_PHONE)):
        return  # never overwrite what someone changed while trying the service
    nashik = districts[("Maharashtra", "Nashik")]
    farmer = Farmer(phone=DEMO_FARMER_PHONE, name="Ramesh Patil", locale="mr", state_id=nashik.state_id,
                    district_id=nashik.id, village="Lasalgaon", land_area=3, land_unit="acre",
                    registered_via="operator", sms_opted_out=False)
    farmer.crops = [
        FarmerCrop(crop=crops["onion"][0], sown_on=today - timedelta(days=40)),
        FarmerCrop(crop=crops["soybean"][0], sown_on=today - timedelta(days=75)),
    ]
    session.add(farmer)
    session.add(farmer.give_consent("operator", "consent.demo_seed", at=utcnow()))
    session.flush()


DEMO_ENTITY_ID = "1001000000000000000"  # a made-up principal entity id, marked as demo on every row
DEMO_HEADER = "KHETIS"


def load_dlt_templates(session: Session) -> int:
    """Our catalogue's SMS texts as demo DLT templates, so messages to Indian numbers pass the DLT check on the
    embedded default. A real deployment registers the same texts on its DLT portal (`kheti dlt templates`) and
    records the real ids with `kheti dlt add`; demo rows never overwrite registered ones."""
    rows = Upserter(session, DltTemplate, ["template_id"])
    seen = set()
    for catalogue, message_id, category, text in catalogue_templates():
        if (category, text) in seen:
            continue
        seen.add((category, text))
        digest = hashlib.sha1(f"{category}\n{text}".encode()).hexdigest()[:15]
        rows.put({"template_id": f"DEMO{digest}", "entity_id": DEMO_ENTITY_ID, "header": DEMO_HEADER,
                  "category": category, "name": f"{message_id} ({catalogue})"[:80], "text": text,
                  "var_max_chars": 30, "active": True, "source": "demo"})
    return len(seen)
