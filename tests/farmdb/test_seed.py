"""`kheti seed` loads the reference data completely and correctly, and a second run changes nothing."""
from datetime import date

import pytest
from sqlalchemy import select

from farmdb import migrate
from farmdb.db import make_engine, make_sessionmaker
from farmdb.models import (
    Advisory, Base, Crop, District, Farmer, Mandi, MarketPrice, Plan, State, WeatherForecast,
)
from farmdb.seed import load_all
from tests.conftest import SEED_DAY


def _snapshot(session) -> dict[str, list[tuple]]:
    """Every row of every table, as plain values, in a stable order."""
    snapshot = {}
    for table in Base.metadata.sorted_tables:
        rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
        snapshot[table.name] = [tuple(row) for row in rows]
    return snapshot


def test_seeding_twice_leaves_the_same_rows_as_once(empty_database_url):
    migrate.upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    sessions = make_sessionmaker(engine)
    with sessions() as session, session.begin():
        first_counts = load_all(session, today=date(2026, 11, 21))
    with sessions() as session:
        once = _snapshot(session)
    with sessions() as session, session.begin():
        second_counts = load_all(session, today=date(2026, 11, 21))
    with sessions() as session:
        twice = _snapshot(session)
        demo = session.scalar(select(Farmer).where(Farmer.phone == "+919876543210"))
        assert demo.has_consent and demo.district.name == "Nashik" and demo.locale == "mr"
        assert sorted(fc.crop.code for fc in demo.crops) == ["onion", "soybean"]
    engine.dispose()
    assert first_counts == second_counts and first_counts["farmers"] == 1
    assert once == twice  # including every id and updated_at: nothing was rewritten


def test_counts(db):
    count = lambda model: len(db.scalars(select(model)).all())  # noqa: E731
    assert count(State) == 36  # 35 states and UTs of the 2011 census, and Telangana
    assert count(District) == 640  # the census's 641 less its "Data Not Available" (not a district)
    assert count(Crop) >= 30
    assert count(Mandi) >= 40
    assert count(Plan) == 3
    assert count(Advisory) >= 60


def test_telangana_districts_are_filed_under_telangana(db):
    telangana = db.scalar(select(State).where(State.name == "Telangana"))
    assert {d.name for d in telangana.districts} == {
        "Adilabad", "Hyderabad", "Karimnagar", "Khammam", "Mahbubnagar", "Medak", "Nalgonda", "Nizamabad",
        "Rangareddy", "Warangal"}
    andhra = db.scalar(select(State).where(State.name == "Andhra Pradesh"))
    assert len(andhra.districts) == 13


def test_state_names_are_current_and_in_three_languages(db):
    states = {s.name: s for s in db.scalars(select(State))}
    assert "Arunachal Pradesh" in states and "Arunanchal Pradesh" not in states
    for state in states.values():
        assert set(state.names) == {"en", "hi", "mr"}
    assert states["Maharashtra"].names["mr"] == "महाराष्ट्र"


def test_districts_carry_coordinates_with_their_source(db):
    districts = db.scalars(select(District)).all()
    for district in districts:
        if district.latitude is None:
            assert district.coordinates_source is None
            continue
        assert 6 <= district.latitude <= 37.5 and 68 <= district.longitude <= 97.5, district.name
        assert district.coordinates_source.startswith(("geonames:", "estimate:state-mean"))
    located = [d for d in districts if d.latitude is not None]
    assert len(located) >= 600
    nashik = db.scalar(select(District).where(District.name == "Nashik"))
    assert nashik.coordinates_source == "geonames:1261731"
    assert nashik.names == {"en": "Nashik", "hi": "नाशिक", "mr": "नाशिक"}
    jalgaon = db.scalar(select(District).where(District.name == "Jalgaon"))
    assert jalgaon.names["mr"] == "जळगाव" and jalgaon.names["hi"] == "जलगाँव"


@pytest.mark.parametrize("typed", ["gehu", "gehun", "गेहूं", "गहू", "wheat"])
def test_wheat_is_found_by_what_farmers_type(db, typed):
    matches = [c.code for c in db.scalars(select(Crop))
               if typed in c.spellings or typed in c.names.values() or typed == c.code
               or typed in {r.lower() for r in c.romanised.values()}]
    assert matches == ["wheat"]


def test_no_spelling_belongs_to_two_crops(db):
    owner: dict[str, str] = {}
    for crop in db.scalars(select(Crop)):
        words = {s.lower() for s in crop.spellings} | {n.lower() for n in crop.names.values()}
        for word in words:
            assert owner.setdefault(word, crop.code) == crop.code, f"{word!r}: {owner[word]} and {crop.code}"


def test_every_crop_has_three_names_and_ordered_stages(db):
    for crop in db.scalars(select(Crop)):
        assert set(crop.names) == {"en", "hi", "mr"} and set(crop.romanised) == {"hi", "mr"}, crop.code
        assert all(name.isascii() for name in crop.romanised.values()), crop.code
        days = [s["from_day"] for s in crop.stages]
        assert days == sorted(days) and days[0] == 0, crop.code


def test_advisories_cover_every_stage_of_every_crop_in_three_languages(db):
    """All of India has advice for every crop's every stage; a state's own (cotton sowing in Punjab, Alphonso
    flowering in Konkan) is extra, never the only one."""
    advisories = db.scalars(select(Advisory)).all()
    covered = {(a.crop.code, a.stage) for a in advisories if a.state_id is None}
    missing = [(crop.code, stage["stage"]) for crop in db.scalars(select(Crop)) for stage in crop.stages
               if (crop.code, stage["stage"]) not in covered]
    assert missing == []
    regional = {(a.crop.code, a.stage) for a in advisories if a.state_id is not None}
    assert len(regional) >= 15 and regional <= covered
    for advisory in advisories:
        assert set(advisory.texts) == {"en", "hi", "mr", "hi_Latn", "mr_Latn"}, advisory.key
        assert all(0 < len(t) <= 300 for t in advisory.texts.values()), advisory.key
        assert advisory.texts["hi_Latn"].isascii() and advisory.texts["mr_Latn"].isascii(), advisory.key


def test_demo_prices_are_plausible_and_dated_from_the_seed_day(db):
    prices = db.scalars(select(MarketPrice)).all()
    assert prices and {p.price_date for p in prices} == {date.fromordinal(SEED_DAY.toordinal() - d) for d in range(7)}
    for price in prices:
        assert 0 < price.min_price <= price.modal_price <= price.max_price
    lasalgaon_onion = db.execute(
        select(MarketPrice).join(Mandi).join(Crop)
        .where(Mandi.name == "Lasalgaon", Crop.code == "onion", MarketPrice.price_date == SEED_DAY)
    ).scalar_one()
    assert 1000 < lasalgaon_onion.modal_price < 3000


def test_demo_forecasts_and_farmer(db):
    forecasts = db.scalars(select(WeatherForecast).where(WeatherForecast.forecast_date == SEED_DAY)).all()
    assert len(forecasts) >= 600
    assert all(f.temp_min_c < f.temp_max_c and f.rain_mm >= 0 for f in forecasts)
    assert any(f.rain_mm >= 64.5 for f in forecasts)  # IMD's "heavy rain": something for the alerts to find


def test_plans_are_priced_in_paise(db):
    plans = {p.code: p for p in db.scalars(select(Plan))}
    assert all(p.currency == "INR" and p.price_minor > 0 and p.duration_days > 0 for p in plans.values())
    assert all(set(p.names) == {"en", "hi", "mr"} for p in plans.values())
