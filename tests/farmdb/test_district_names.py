"""Every district named in Hindi and Marathi, by the name it goes by today; its old names still find it (issue #13)."""
import csv
import re
from datetime import date

import pytest
from sqlalchemy import select

from farmdb import districts as district_rows, migrate
from farmdb.db import make_engine, make_sessionmaker
from farmdb.models import District, Farmer, State, WeatherForecast
from farmdb.seed import load_all
from farmdb.seed.places import DATA, district_names
from tests.farmdb.test_seed import _snapshot

# Devanagari letters and signs, with the spaces, hyphens and digits a name may have ("उत्तर 24 परगना").
DEVANAGARI_NAME = re.compile(r"[\u0900-\u0963\u0966-\u097f]+(?:[ -]?[\u0900-\u0963\u0966-\u097f0-9]+)*")


def test_every_district_has_a_hindi_and_a_marathi_name_in_devanagari(db):
    districts = db.scalars(select(District)).all()
    assert len(districts) == 640
    for district in districts:
        assert set(district.names) == {"en", "hi", "mr"} and district.names["en"] == district.name, district.name
        for locale in ("hi", "mr"):
            name = district.names[locale]
            assert DEVANAGARI_NAME.fullmatch(name) and re.search("[\u0915-\u0939]", name), (district.name, name)


def test_the_names_file_covers_the_census_list_once():
    with (DATA / "india_districts_2011.csv").open(encoding="utf-8") as f:
        census = {row["district_census_code"]: row["district"] for row in csv.DictReader(f)}
    names = district_names()
    assert set(names) == set(census) - {"0"}  # "Data Not Available" is not a district
    assert all(row["census_name"] == census[code] and row["name"].isascii() for code, row in names.items())
    maharashtra_in_marathi = {row["mr"] for row in names.values() if row["state"] == "Maharashtra"}
    assert not any("\u093c" in name for name in maharashtra_in_marathi)  # Marathi writes no nukta: रायगड, not रायगढ़


def _district(db, state: str, name: str) -> District:
    return db.scalar(select(District).join(State).where(State.name == state, District.name == name))


@pytest.mark.parametrize("state, name, hindi, marathi", [
    ("Maharashtra", "Raigad", "रायगड", "रायगड"),  # not Raigarh, which is in Chhattisgarh:
    ("Chhattisgarh", "Raigarh", "रायगढ़", "रायगढ"),
    ("Maharashtra", "Gadchiroli", "गडचिरोली", "गडचिरोली"),
    ("Maharashtra", "Ratnagiri", "रत्नागिरी", "रत्नागिरी"),
    ("Maharashtra", "Mumbai", "मुंबई", "मुंबई"),  # not "Greater Mumbai"
    ("Maharashtra", "Mumbai Suburban", "मुंबई उपनगर", "मुंबई उपनगर"),
    ("Maharashtra", "Kolhapur", "कोल्हापुर", "कोल्हापूर"),
    ("Maharashtra", "Sangli", "सांगली", "सांगली"),
    ("Maharashtra", "Satara", "सातारा", "सातारा"),
    ("Maharashtra", "Yavatmal", "यवतमाल", "यवतमाळ"),
    ("Maharashtra", "Jalna", "जालना", "जालना"),
    ("Maharashtra", "Jalgaon", "जलगाँव", "जळगाव"),
    ("Maharashtra", "Beed", "बीड", "बीड"),
    ("Uttar Pradesh", "Lucknow", "लखनऊ", "लखनौ"),
    ("Uttar Pradesh", "Lakhimpur Kheri", "लखीमपुर खीरी", "लखीमपूर खेरी"),
    ("Bihar", "Patna", "पटना", "पाटणा"),
    ("Madhya Pradesh", "Gwalior", "ग्वालियर", "ग्वाल्हेर"),
    ("Karnataka", "Belagavi", "बेलगावी", "बेळगाव"),
])
def test_names_as_people_there_write_them(db, state, name, hindi, marathi):
    district = _district(db, state, name)
    assert (district.names["hi"], district.names["mr"]) == (hindi, marathi)


@pytest.mark.parametrize("state, old, today, hindi, marathi", [
    ("Uttar Pradesh", "Faizabad", "Ayodhya", "अयोध्या", "अयोध्या"),  # 2018
    ("Uttar Pradesh", "Allahabad", "Prayagraj", "प्रयागराज", "प्रयागराज"),  # 2018
    ("Uttar Pradesh", "Mahamaya Nagar", "Hathras", "हाथरस", "हाथरस"),  # 2012
    ("Uttar Pradesh", "Kansiram Nagar", "Kasganj", "कासगंज", "कासगंज"),  # 2012 (census spelling of Kanshiram)
    ("Haryana", "Gurgaon", "Gurugram", "गुरुग्राम", "गुरुग्राम"),  # 2016
    ("Maharashtra", "Aurangabad", "Chhatrapati Sambhajinagar", "छत्रपति संभाजीनगर", "छत्रपती संभाजीनगर"),  # 2023
    ("Maharashtra", "Osmanabad", "Dharashiv", "धाराशिव", "धाराशिव"),  # 2023
    ("Maharashtra", "Ahmadnagar", "Ahilyanagar", "अहिल्यानगर", "अहिल्यानगर"),  # 2024
])
def test_renamed_districts_go_by_their_name_today_and_keep_the_old_one(db, state, old, today, hindi, marathi):
    district = _district(db, state, today)
    assert (district.names["en"], district.names["hi"], district.names["mr"]) == (today, hindi, marathi)
    assert old in district.spellings
    assert _district(db, state, old) is None
    # An operator's form, import or broadcast audience may still say the old name.
    assert district_rows.called(db, old, state_name=state) == [(district.id, state)]


def test_an_old_name_that_is_another_districts_name_today_names_that_one_first(db):
    bihar = _district(db, "Bihar", "Aurangabad")
    assert district_rows.called(db, "aurangabad") == [(bihar.id, "Bihar")]  # the name today wins
    maharashtra = _district(db, "Maharashtra", "Chhatrapati Sambhajinagar")
    assert district_rows.called(db, "Aurangabad", state_name="maharashtra") == [(maharashtra.id, "Maharashtra")]
    assert district_rows.called(db, "Nowhere") == []


def test_seeding_an_older_database_renames_its_districts_in_place(empty_database_url):
    """A database seeded before the names were corrected: the same rows (farmers and prices keep pointing at them)
    get today's names, the census map's "Data Not Available" goes, and a second run changes nothing."""
    migrate.upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    sessions = make_sessionmaker(engine)
    day = date(2026, 11, 21)
    with sessions() as session, session.begin():
        load_all(session, today=day)
    renamed = {row["district_census_code"]: row for row in district_names().values() if row["name"] !=
               row["census_name"]}
    with sessions() as session, session.begin():  # as the older seed left them
        ids = {}
        for district in session.scalars(select(District)):
            ids[district.census_code] = district.id
            old = renamed.get(district.census_code, {}).get("census_name", district.name)
            district.name, district.names, district.spellings = old, {"en": old}, []
        jammu = session.scalar(select(State).where(State.name == "Jammu & Kashmir"))
        placeholder = District(state_id=jammu.id, name="Data Not Available", census_code="0", names={"en": "x"},
                               romanised={}, spellings=[], latitude=34.0, longitude=75.0)
        session.add(placeholder)
        session.flush()
        session.add(WeatherForecast(district_id=placeholder.id, forecast_date=day, rain_mm=0, temp_min_c=1,
                                    temp_max_c=2))
    with sessions() as session, session.begin():
        load_all(session, today=day)
    with sessions() as session:
        once = _snapshot(session)
        prayagraj = session.scalar(select(District).where(District.census_code == "175"))
        assert (prayagraj.id, prayagraj.name, prayagraj.names["hi"]) == (ids["175"], "Prayagraj", "प्रयागराज")
        assert "Allahabad" in prayagraj.spellings
        assert session.scalar(select(District).where(District.census_code == "0")) is None
        assert {d.census_code: d.id for d in session.scalars(select(District))} == ids
        assert session.scalar(select(Farmer).where(Farmer.phone == "+919876543210")).district.name == "Nashik"
    with sessions() as session, session.begin():
        load_all(session, today=day)
    with sessions() as session:
        assert _snapshot(session) == once
    engine.dispose()
