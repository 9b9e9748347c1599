"""Farmers as operators look them up: found by any way a person types a number, a name, a district or a crop;
numbers masked unless asked for (and that audited); edited, erased and exported with an audit record each."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from farmdb.models import AuditEvent, ConsentEvent, Farmer


@pytest.fixture
def farmers(register_farmer):
    return {
        "asha": register_farmer(),  # +919812345678, Nashik, onion and soybean
        "ravi": register_farmer(phone="+919822200011", name="Ravi Jadhav", district="Pune", crops=("tomato",)),
        "sita": register_farmer(phone="+919833300022", name="Sita Devi", district="Nashik", crops=("onion",),
                                locale="hi"),
    }


def _found(browser, query: str) -> list[str]:
    page = browser.text(f"/console/farmers?{query}")
    return re.findall(r'<td data-label="Name">([^<]*)</td>', page)


@pytest.mark.parametrize("query, names", [
    ("q=9812345678", ["Asha Pawar"]),
    ("q=098123+45678", ["Asha Pawar"]),
    ("q=%2B91+98123-45678", ["Asha Pawar"]),
    ("q=919812345678", ["Asha Pawar"]),
    ("q=(98123)+45678", ["Asha Pawar"]),
    ("q=200011", ["Ravi Jadhav"]),  # the last digits of a number (an agronomist may see numbers anyway)
    ("q=sita", ["Sita Devi"]),
    ("q=DEVI", ["Sita Devi"]),
    ("district=nashik", ["Sita Devi", "Asha Pawar"]),  # newest first
    ("district=Nashik&crop=soybean", ["Asha Pawar"]),
    ("crop=tomato", ["Ravi Jadhav"]),
    ("q=nobody", []),
    ("q=%25", []),  # a wildcard typed is a character, not a wildcard
])
def test_farmers_are_found_however_the_number_or_name_is_typed(query, names, farmers, signed_in):
    assert _found(signed_in("agronomist"), query) == names


def test_a_viewer_cannot_guess_a_masked_number_digit_by_digit(farmers, signed_in):
    viewer = signed_in("viewer")
    page = viewer.text("/console/farmers?q=200011")
    assert "Type the whole number" in page and _found(viewer, "q=200011") == []
    assert _found(viewer, "q=9822200011") == ["Ravi Jadhav"]  # knowing the number, they learn nothing new


def test_an_unknown_district_finds_nobody_rather_than_everybody(farmers, signed_in):
    admin = signed_in("admin")
    assert _found(admin, "district=Nasik") == []
    admin.get("/console/farmers")
    refused = admin.post("/console/farmers.csv", {"district": "Nasik"})
    assert refused.status_code == 400 and "No district called Nasik." in refused.get_data(as_text=True)


def test_an_unknown_district_is_said_not_ignored(farmers, signed_in):
    page = signed_in("viewer").text("/console/farmers?district=Atlantis")
    assert "No district called Atlantis." in page


def test_numbers_are_masked_until_an_agronomist_asks_and_each_showing_is_audited(farmers, signed_in, db):
    viewer = signed_in("viewer")
    for url in ("/console/farmers", f"/console/farmers/{farmers['asha']}"):
        page = viewer.text(url)
        assert "+91******5678" in page and "9812345678" not in page
    assert "Show the full number" not in viewer.text(f"/console/farmers/{farmers['asha']}")

    agronomist = signed_in("agronomist")
    agronomist.get(f"/console/farmers/{farmers['asha']}")
    page = agronomist.post(f"/console/farmers/{farmers['asha']}/reveal").get_data(as_text=True)
    assert "+919812345678" in page
    assert "+919812345678" not in agronomist.text(f"/console/farmers/{farmers['asha']}")  # for that page only
    [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "farmer_number_shown")).all()
    assert (event.actor, event.target_type, event.target_id) == ("agronomist1", "farmer", str(farmers["asha"]))


def test_the_profile_shows_consent_plan_and_one_timeline(farmers, ussd, signed_in):
    phone = ussd()
    for press in (None, "4", "1", "2"):
        phone.dial() if press is None else phone.press(press)
    page = signed_in("viewer").text(f"/console/farmers/{farmers['asha']}")
    assert "given" in page and "by operator" in page and "reg.consent.notice" in page
    timeline = page.split("Timeline")[1]
    kinds = re.findall(r'<td data-label="What">([^<]*)</td>', timeline)
    assert {"ticket", "sms out", "consent"} <= set(kinds)
    assert kinds.index("ticket") < kinds.index("consent")  # newest first
    assert "No plan, no payments." in page


def test_an_agronomist_edits_crops_district_and_language_and_it_is_audited(farmers, signed_in, db):
    browser = signed_in("agronomist")
    browser.get(f"/console/farmers/{farmers['ravi']}")
    response = browser.post(f"/console/farmers/{farmers['ravi']}/edit",
                            {"locale": "mr", "district": "satara", "crops": ["onion", "wheat"]})
    assert response.status_code == 302
    farmer = db.get(Farmer, farmers["ravi"])
    assert (farmer.locale, farmer.district.name, sorted(fc.crop.code for fc in farmer.crops)) == \
        ("mr", "Satara", ["onion", "wheat"])
    [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "farmer_edited")).all()
    assert event.detail == {"locale": ["en", "mr"], "district": ["Pune", "Satara"],
                            "crops": [["tomato"], ["onion", "wheat"]]}


@pytest.mark.parametrize("form, problem", [
    ({"locale": "hi", "district": "Atlantis"}, "No district called Atlantis."),
    ({"locale": "xx", "district": "Pune"}, "Not a valid choice."),
    ({"locale": "hi", "district": "Pune", "crops": ["tobacco"]}, "is not a valid choice"),
    ({"locale": "hi", "district": ""}, "This field is required."),
])
def test_a_bad_edit_says_why_and_changes_nothing(form, problem, farmers, signed_in, db):
    browser = signed_in("agronomist")
    browser.get(f"/console/farmers/{farmers['ravi']}")
    response = browser.post(f"/console/farmers/{farmers['ravi']}/edit", form)
    assert response.status_code == 400 and problem in response.get_data(as_text=True)
    farmer = db.get(Farmer, farmers["ravi"])
    assert (farmer.locale, farmer.district.name) == ("en", "Pune")
    assert db.scalars(select(AuditEvent.action).where(AuditEvent.action == "farmer_edited")).all() == []


def test_a_district_name_two_states_share_asks_which(signed_in, farmers, db):
    from farmdb.models import District
    from sqlalchemy import func
    shared = db.execute(select(District.name).group_by(District.name).having(func.count() > 1).limit(1)).scalar()
    if shared is None:
        pytest.skip("the seeded districts have no shared name")
    browser = signed_in("agronomist")
    browser.get(f"/console/farmers/{farmers['ravi']}")
    response = browser.post(f"/console/farmers/{farmers['ravi']}/edit", {"locale": "en", "district": shared})
    assert response.status_code == 400 and "say which state" in response.get_data(as_text=True)


def test_erasing_asks_for_confirmation_then_keeps_only_the_consent_record(farmers, signed_in, db):
    admin = signed_in("admin")
    page = admin.text(f"/console/farmers/{farmers['asha']}/erase")
    assert "This cannot be undone." in page
    refused = admin.post(f"/console/farmers/{farmers['asha']}/erase", {"confirm": "erase"})
    assert refused.status_code == 400 and db.get(Farmer, farmers["asha"]) is not None
    assert admin.post(f"/console/farmers/{farmers['asha']}/erase", {"confirm": "ERASE"}).status_code == 302
    db.rollback()
    assert db.get(Farmer, farmers["asha"]) is None
    assert db.scalars(select(ConsentEvent.action).where(ConsentEvent.channel == "operator")
                      .order_by(ConsentEvent.id)).all()[-1] == "withdrawn"
    assert db.scalar(select(AuditEvent.target_id).where(AuditEvent.action == "farmer_erased")) == \
        str(farmers["asha"])
    assert admin.get(f"/console/farmers/{farmers['asha']}").status_code == 404


def test_an_admin_exports_a_search_as_csv_with_formulas_defused_and_audited(register_farmer, farmers, signed_in,
                                                                             db):
    register_farmer(phone="+919844400033", name="=HYPERLINK(\"http://x\")", district="Nashik")
    admin = signed_in("admin")
    assert admin.client.get("/console/farmers.csv?district=Nashik").status_code == 405  # a link cannot export
    response = admin.post("/console/farmers.csv", {"district": "Nashik"})
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["phone"] for r in rows] == ["+919844400033", "+919833300022", "+919812345678"]
    assert rows[0]["name"] == "'=HYPERLINK(\"http://x\")" and rows[2]["crops"] == "onion soybean"
    [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "farmers_exported")).all()
    assert event.detail["rows"] == 3 and event.detail["district"] == "Nashik"


def test_a_farmer_in_a_district_two_states_share_can_still_be_edited(register_farmer, signed_in, db):
    farmer_id = register_farmer(district="Bilaspur")  # Chhattisgarh's or Himachal's
    browser = signed_in("agronomist")
    page = browser.text(f"/console/farmers/{farmer_id}")
    state = re.search(r'name="state"[^>]*value="([^"]*)"', page)[1]
    assert state  # filled in, so saving the form as it is names one district
    response = browser.post(f"/console/farmers/{farmer_id}/edit",
                            {"locale": "mr", "district": "Bilaspur", "state": state})
    assert response.status_code == 302
    db.rollback()
    assert db.get(Farmer, farmer_id).locale == "mr"


def test_an_admin_imports_a_csv_after_reading_what_is_wrong_with_it(signed_in, register_farmer, db):
    register_farmer()  # +919812345678 is known already: merged, not duplicated
    sheet = ("phone,name,language,district,crops,consent_at,consent_channel,consent_notice\n"
             "9822200011,Ravi,hi,Pune,tomato,2026-11-02,paper,form-v1\n"
             "9812345678,Asha,hi,Nashik,wheat,2026-11-02,paper,form-v1\n"
             "12,Nobody,hi,Pune,,2026-11-02,paper,form-v1\n")
    admin = signed_in("admin")
    admin.get("/console/farmers/import")
    checked = admin.post("/console/farmers/import",
                         {"file": (io.BytesIO(sheet.encode()), "sign-ups.csv")}, content_type="multipart/form-data")
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "2 rows can be imported, 1 cannot." in page
    assert "&#39;12&#39; is not a phone number" in page
    token = re.search(r'action="/console/farmers/import/([^"]+)"', page)[1]
    started = admin.post(f"/console/farmers/import/{token}")
    assert started.headers["Location"] == f"/console/farmers/import/{token}"
    assert admin.post(f"/console/farmers/import/{token}").status_code == 302  # a second press starts nothing
    job = admin.get(f"/console/farmers/import/{token}.json").json
    assert (job["state"], job["done"], job["added"], job["merged"], job["bad"]) == ("done", 2, 1, 1, 1)
    db.rollback()
    assert sorted(db.scalars(select(Farmer.phone))) == ["+919812345678", "+919822200011"]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "farmers_imported"))
    assert event.actor == "admin1" and event.detail["added"] == 1 and event.detail["skipped"] == 1


def test_a_file_that_is_not_a_farmers_csv_is_refused_with_the_reason(signed_in):
    admin = signed_in("admin")
    admin.get("/console/farmers/import")
    response = admin.post("/console/farmers/import", {"file": (io.BytesIO(b"\xff\xfe\x00junk"), "x.csv")},
                          content_type="multipart/form-data")
    assert response.status_code == 400 and "not UTF-8" in response.get_data(as_text=True)


def test_an_import_larger_than_other_requests_is_taken_from_an_admin_only(signed_in, settings):
    rows = "".join(f"98{n:08d},Farmer {n},hi,Pune,onion,2026-11-02,paper,form-v1\n" for n in range(3000))
    sheet = "phone,name,language,district,crops,consent_at,consent_channel,consent_notice\n" + rows
    assert len(sheet) > settings.max_request_bytes
    for role, status in (("admin", 200), ("agronomist", 413)):
        browser = signed_in(role)
        browser.get("/console/desk")
        response = browser.post("/console/farmers/import", {"file": (io.BytesIO(sheet.encode()), "big.csv")},
                                content_type="multipart/form-data")
        assert response.status_code == status
