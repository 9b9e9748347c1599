"""Recorded answers and portal files stored as ours: mapped, judged, stored once, reported in full; demo prices
replaced and never written back over a reported one; every process told once the import has committed."""
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from farmdb.models import Crop, District, Mandi, MarketPrice
from farmdb.seed import catalogue, demo, load_all, places
from service.prices import freshness
from service.prices.runs import ImportBusy, LOCK_KEY, import_text
from tests.conftest import SEED_DAY
from tests.service.prices.conftest import recorded

DAY = date(2026, 12, 4)


def _import(service, name, **options):
    text = recorded(name)
    return import_text(service, text if isinstance(text, str) else json.dumps(text), name=name, **options)


def _prices(sessions, **where):
    with sessions() as db:
        query = (select(Mandi.name, Crop.code, MarketPrice.variety, MarketPrice.price_date, MarketPrice.min_price,
                        MarketPrice.max_price, MarketPrice.modal_price, MarketPrice.source)
                 .join(Mandi, Mandi.id == MarketPrice.mandi_id).join(Crop, Crop.id == MarketPrice.crop_id))
        for name, value in where.items():
            query = query.where(getattr(MarketPrice, name) == value)
        return sorted(tuple(row) for row in db.execute(query))


def test_a_recorded_day_is_stored_and_reported_in_full(service, prices_db):
    first = _import(service, "maharashtra_page1.json")
    second = _import(service, "maharashtra_page2.json")
    assert (first.read, first.stored, first.updated, first.unchanged) == (7, 6, 0, 0)
    assert dict(first.skipped) == {"not carried": 1}
    assert first.new_mandis == ["Lasalgaon (Niphad) (Nashik, Maharashtra)", "Pune (Moshi) (Pune, Maharashtra)"]
    assert (second.read, second.stored) == (6, 2)
    assert dict(second.skipped) == {"unknown commodity": 1, "zero price": 1, "modal outside min-max": 1,
                                    "unknown district": 1}
    assert dict(second.unknown["unknown district"]) == {"Kalpanagar, Maharashtra": 1}
    assert dict(second.unknown["unknown commodity"]) == {"Dragon Fruit": 1}
    stored = _prices(prices_db, source="agmarknet")
    assert ("Lasalgaon", "onion", "Red", DAY, 1500, 2300, 2000, "agmarknet") in stored
    assert ("Pimpalgaon Baswant", "tomato", "Hybrid", DAY, 800, 1600, 1200, "agmarknet") in stored  # "Pimpalgaon"
    assert ("Pune (Gultekdi)", "potato", "Talegaon", DAY, 1200, 1900, 1600, "agmarknet") in stored  # "Pune"
    assert ("Amravati", "soybean", "Yellow", DAY, 4300, 4650, 4500, "agmarknet") in stored  # "Amarawati"
    assert {row[0] for row in stored} >= {"Lasalgaon (Niphad)", "Pune (Moshi)", "Latur"} and len(stored) == 8
    lines = second.lines()
    assert lines[0] == "maharashtra_page2.json (2026-12-04): read 6, stored 2, updated 0, unchanged 0, skipped 4"
    assert "skipped, unknown district: 1: Kalpanagar, Maharashtra (1)" in lines
    assert "  record 3: zero price: Onion at Solapur: min 0, max 0, modal 0" in lines


def test_a_new_mandi_is_made_in_its_district_and_found_again(service, prices_db):
    _import(service, "maharashtra_page1.json")
    with prices_db() as db:
        niphad = db.scalar(select(Mandi).where(Mandi.name == "Lasalgaon (Niphad)"))
        assert niphad.district.name == "Nashik" and niphad.names == {"en": "Lasalgaon (Niphad)"}
    again = _import(service, "maharashtra_page1.json")
    assert again.new_mandis == [] and (again.stored, again.unchanged) == (0, 6)


def test_the_same_day_again_updates_one_row(service, prices_db):
    _import(service, "maharashtra_page1.json")
    answer = recorded("maharashtra_page1.json")
    answer["records"][0]["modal_price"] = "2100"  # Lasalgaon's onion, corrected
    report = import_text(service, json.dumps(answer), name="corrected.json")
    assert (report.stored, report.updated, report.unchanged) == (0, 1, 5)
    rows = [r for r in _prices(prices_db, price_date=DAY) if r[:2] == ("Lasalgaon", "onion")]
    assert rows == [("Lasalgaon", "onion", "Red", DAY, 1500, 2300, 2100, "agmarknet")]


def test_a_tenfold_jump_from_yesterday_is_skipped(service, prices_db):
    _import(service, "maharashtra_page1.json")
    answer = recorded("maharashtra_page1.json")
    answer["records"] = answer["records"][:1]
    answer["records"][0].update(arrival_date="05/12/2026", min_price="15000", max_price="23000", modal_price="20000")
    report = import_text(service, json.dumps(answer), name="typo.json")
    assert dict(report.skipped) == {"tenfold jump": 1} and report.stored == 0
    assert report.examples == [("record 1", "tenfold jump: Onion at Lasalgaon: modal 20000 after 2000")]
    answer["records"][0].update(min_price="1600", max_price="2400", modal_price="2200")  # an ordinary next day
    assert import_text(service, json.dumps(answer), name="next.json").stored == 1


def test_the_capitalised_sister_resource_and_a_market_with_apmc_in_its_name(service, prices_db):
    report = _import(service, "gujarat_variety_wise.json")
    assert report.stored == 2 and report.new_mandis == ["Amreli (Amreli, Gujarat)"]
    assert dict(report.unknown["not carried"]) == {"Cotton/Lint": 1}
    assert ("Gondal", "groundnut", "Bold", DAY, 5800, 6900, 6400, "agmarknet") in _prices(prices_db)


def test_a_portal_csv_for_a_state(service, prices_db):
    report = _import(service, "maharashtra_portal.csv", state="Maharashtra")
    assert (report.read, report.stored) == (6, 4)
    assert dict(report.skipped) == {"unreadable": 1, "modal outside min-max": 1}
    assert ("line 6", "unreadable: min price 'NR' is not a number") in report.examples
    assert ("Nagpur (Kalamna)", "orange", "Nagpuri", date(2026, 12, 5), 2500, 4000, 3200, "agmarknet") in \
        _prices(prices_db)


def test_an_empty_day_stores_nothing_and_says_so(service, prices_db, redis_client):
    report = _import(service, "empty_day.json")
    assert (report.read, report.stored) == (0, 0)
    assert "nothing to import" in report.lines()[1]
    assert redis_client.get(freshness.KEY) is None  # nothing to hear


def test_a_dry_run_stores_nothing(service, prices_db):
    report = _import(service, "maharashtra_page1.json", dry_run=True)
    assert report.stored == 6 and "a dry run" in report.lines()[0]
    assert _prices(prices_db, source="agmarknet") == []
    with prices_db() as db:
        assert db.scalar(select(Mandi).where(Mandi.name == "Pune (Moshi)")) is None


def test_a_reported_price_replaces_the_demo_one_and_seeding_never_writes_it_back(service, prices_db):
    seeded = [r for r in _prices(prices_db, price_date=SEED_DAY) if r[:2] == ("Lasalgaon", "onion")]
    assert [r[-1] for r in seeded] == ["demo"]
    answer = recorded("maharashtra_page1.json")
    answer["records"] = answer["records"][:1]
    answer["records"][0]["arrival_date"] = SEED_DAY.strftime("%d/%m/%Y")
    report = import_text(service, json.dumps(answer), name="seed-day.json")
    assert (report.stored, report.demo_replaced) == (1, 1)
    with prices_db() as db, db.begin():
        load_all(db, today=SEED_DAY)  # `kheti seed` again
        mandis = places.load_mandis(db, places.load_districts(db, places.load_states(db)))
        demo.load_prices(db, mandis, catalogue.load_crops(db), SEED_DAY + timedelta(days=1))  # and the next day
    rows = [r for r in _prices(prices_db, price_date=SEED_DAY) if r[:2] == ("Lasalgaon", "onion")]
    assert rows == [("Lasalgaon", "onion", "Red", SEED_DAY, 1500, 2300, 2000, "agmarknet")]


def test_every_process_is_told_once_the_import_has_committed(service, prices_db, redis_client):
    assert redis_client.get(freshness.KEY) is None
    _import(service, "maharashtra_page1.json")
    assert redis_client.get(freshness.KEY) == b"1"
    _import(service, "maharashtra_page1.json")  # nothing changed: nobody needs to re-read
    assert redis_client.get(freshness.KEY) == b"1"


def test_one_import_at_a_time(service, prices_db, redis_client):
    redis_client.set(LOCK_KEY, "someone-else", ex=60)
    with pytest.raises(ImportBusy):
        _import(service, "maharashtra_page1.json")
    redis_client.delete(LOCK_KEY)
    _import(service, "maharashtra_page1.json")
    assert redis_client.get(LOCK_KEY) is None


def test_the_price_is_filed_under_the_mandi_s_district(service, prices_db):
    _import(service, "maharashtra_page1.json")
    with prices_db() as db:
        for price in db.scalars(select(MarketPrice).where(MarketPrice.source == "agmarknet")):
            assert price.district_id == price.mandi.district_id and price.fetched_at is not None
        assert db.scalar(select(District.name).join(Mandi).where(Mandi.name == "Amravati")) == "Amravati"


def test_a_yard_of_its_own_is_a_new_mandi_not_a_misspelling(service, prices_db):
    answer = recorded("maharashtra_page1.json")
    onion = answer["records"][0]
    answer["records"] = [dict(onion, state="Madhya Pradesh", district="Indore", market=market)
                         for market in ("Indore(F&V)", "Indore", "Indore APMC")]
    report = import_text(service, json.dumps(answer), name="indore.json")
    assert report.new_mandis == ["Indore (F&V) (Indore, Madhya Pradesh)"]
    assert dict(report.skipped) == {"repeated": 1}  # "Indore APMC" is Indore


@pytest.mark.parametrize("grades", [("Non-FAQ", "FAQ"), ("FAQ", "Non-FAQ")])
def test_of_two_grades_of_one_variety_the_fair_average_quality_is_kept_whatever_the_order(service, prices_db,
                                                                                         grades):
    answer = recorded("maharashtra_page1.json")
    onion = answer["records"][0]
    prices = {"FAQ": ("1500", "2300", "2000"), "Non-FAQ": ("800", "1200", "1000")}
    answer["records"] = [dict(onion, grade=grade, min_price=prices[grade][0], max_price=prices[grade][1],
                              modal_price=prices[grade][2]) for grade in grades]
    report = import_text(service, json.dumps(answer), name="grades.json")
    assert dict(report.skipped) == {"repeated": 1}
    with prices_db() as db:
        [modal] = db.scalars(select(MarketPrice.modal_price).where(MarketPrice.source == "agmarknet")).all()
    assert modal == 2000


def _onions(*places):
    answer = recorded("maharashtra_page1.json")
    onion = answer["records"][0]
    answer["records"] = [dict(onion, state=state, district=district, market=market)
                         for state, district, market in places]
    return json.dumps(answer)


def test_markets_of_one_name_in_two_districts_are_two_mandis(service, prices_db):
    """Ashti is a market in Beed and one in Wardha, Kalamb one in Dharashiv and one in Yavatmal: the second is not
    the first under another district (nor "repeated")."""
    text = _onions(("Maharashtra", "Beed", "Ashti"), ("Maharashtra", "Wardha", "Ashti"),
                   ("Maharashtra", "Dharashiv", "Kalamb"), ("Maharashtra", "Yavatmal", "Kalamb"))
    for name in ("first.json", "again.json"):  # and again, with the mandis the first made known
        report = import_text(service, text, name=name)
        assert dict(report.skipped) == {} and report.stored + report.unchanged == 4, name
    assert report.new_mandis == [] and report.by_name == []
    with prices_db() as db:
        made = db.execute(select(Mandi.name, District.name).join(District).where(Mandi.name.in_(["Ashti", "Kalamb"])))
        assert sorted(made) == [("Ashti", "Beed"), ("Ashti", "Wardha"), ("Kalamb", "Dharashiv"),
                                ("Kalamb", "Yavatmal")]


def test_a_district_made_since_2011_is_reported_not_taken_for_a_near_name(service, prices_db):
    text = _onions(("Telangana", "Sangareddy", "Sadasivpet"), ("Telangana", "Mahabubabad", "Kesamudram"),
                   ("Tamil Nadu", "Tirupathur", "Vaniyambadi"), ("Maharashtra", "Amarawati", "Achalpur"))
    report = import_text(service, text, name="new-districts.json")
    assert dict(report.unknown["unknown district"]) == {
        "Sangareddy, Telangana": 1, "Mahabubabad, Telangana": 1, "Tirupathur, Tamil Nadu": 1}
    assert report.new_mandis == ["Achalpur (Amravati, Maharashtra)"]  # a recorded spelling of a district is found


def test_a_market_of_an_unknown_district_is_found_by_name_in_the_state_and_reported(service, prices_db):
    report = import_text(service, _onions(("Uttar Pradesh", "Hapur", "Hapur")), name="hapur.json")
    assert report.stored == 1 and report.new_mandis == []
    assert report.by_name == ["Hapur (Hapur) as Hapur (Ghaziabad, Uttar Pradesh)"]
    assert "unknown district, market found by name in another district (1): " \
           "Hapur (Hapur) as Hapur (Ghaziabad, Uttar Pradesh)" in report.lines()
