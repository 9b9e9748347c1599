"""Content in the console: advisories in every language, DLT templates, plans and prices, read by everyone and
edited by the role that may; every change audited with before and after, and checked by the same rules as
`kheti advisory add` and `kheti dlt add` (service.content), so a refusal saves nothing and says why."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import delete, select

from dialogs.ussd import UssdLayout
from farmdb.models import Advisory, AuditEvent, Crop, District, DltTemplate, Mandi, MarketPrice, Plan, State
from service.dialog_services import DialogServices
from service.prices.freshness import PricesVersion
from service.reference import ReferenceData
from tests.cli.test_outbound import kheti  # noqa: F401 (the CLI, run in-process, for the shared rules)
from tests.conftest import SEED_DAY

FIVE = ("en", "hi", "mr", "hi_Latn", "mr_Latn")


def _fresh(db):
    db.rollback()  # a fresh look: end the read transaction (SQLite keeps its snapshot till then)
    return db


def _audits(db, action):
    return _fresh(db).scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


@pytest.fixture
def maharashtra_cotton(sessions):
    """The Maharashtra variant of cotton's boll-formation advice; its texts are put back after the test."""
    with sessions() as db:
        row = db.scalar(select(Advisory).join(Crop).join(State).where(
            Crop.code == "cotton", Advisory.stage == "boll_formation", State.name == "Maharashtra"))
        kept = (row.id, dict(row.texts))
    yield kept
    with sessions() as db, db.begin():
        db.get(Advisory, kept[0]).texts = kept[1]


def _form(advisory_texts: dict, **changed) -> dict:
    return {f"text_{code}": changed.get(code, advisory_texts[code]) for code in FIVE}


def test_a_viewer_reads_advisories_by_crop_stage_and_region_and_may_not_change_them(signed_in, db, maharashtra_cotton):
    advisory_id, texts = maharashtra_cotton
    state_id = db.scalar(select(State.id).where(State.name == "Maharashtra"))
    viewer = signed_in("viewer")
    listed = viewer.text(f"/console/content/advisories?crop=cotton&stage=boll_formation&state={state_id}")
    assert f'/console/content/advisories/{advisory_id}"' in listed and "1 advisory" in listed
    assert all(f'<span class="lang ">{code}</span>' in listed for code in FIVE)  # every language present
    national = viewer.text("/console/content/advisories?crop=cotton&stage=boll_formation&state=all")
    assert f'/console/content/advisories/{advisory_id}"' not in national and "1 advisory" in national

    page = viewer.text(f"/console/content/advisories/{advisory_id}")
    assert "<textarea" not in page and texts["mr_Latn"] in page  # read, not edited
    refused = viewer.post(f"/console/content/advisories/{advisory_id}", _form(texts, en="Changed by a viewer."))
    assert refused.status_code == 403
    assert viewer.post(f"/console/content/advisories/{advisory_id}/variant", {"state": "1"}).status_code == 403
    assert _fresh(db).get(Advisory, advisory_id).texts == texts and _audits(db, "content.advisory.updated") == []


def test_an_agronomist_edits_an_advisory_escaped_and_audited_with_before_and_after(signed_in, db, maharashtra_cotton):
    advisory_id, texts = maharashtra_cotton
    agronomist = signed_in("agronomist")
    page = agronomist.text(f"/console/content/advisories/{advisory_id}")
    assert page.count("data-measure=") == 5  # the live count under each of the five texts
    new = "Pink bollworm: <b>5 traps</b> per acre & destroy rosette flowers."
    saved = agronomist.post(f"/console/content/advisories/{advisory_id}", _form(texts, en=new))
    assert saved.status_code == 302
    page = agronomist.text(saved.headers["Location"])
    assert "Saved. Every language&#39;s broadcast SMS fits a registered DLT template." in page
    assert "&lt;b&gt;5 traps&lt;/b&gt; per acre &amp; destroy" in page and "<b>5 traps</b>" not in page
    assert _fresh(db).get(Advisory, advisory_id).texts == {**texts, "en": new}
    [event] = _audits(db, "content.advisory.updated")
    assert (event.actor, event.target_type, event.target_id) == ("agronomist1", "advisory", str(advisory_id))
    assert event.detail["changed"] == {"en": {"before": texts["en"], "after": new}}


@pytest.mark.parametrize("changed, problem", [
    ({"hi": "क" * 301}, "hi: 301 characters, more than 300"),
    ({"mr_Latn": "  "}, "mr_Latn: missing: every language needs its text"),
    ({"hi_Latn": "गुलाबी सुंडी"}, "hi_Latn: Latin letters only (plain ASCII)"),
])
def test_a_text_too_long_missing_or_not_in_latin_letters_is_refused_and_nothing_saved(
        signed_in, db, maharashtra_cotton, changed, problem):
    advisory_id, texts = maharashtra_cotton
    agronomist = signed_in("agronomist")
    refused = agronomist.post(f"/console/content/advisories/{advisory_id}", _form(texts, en="Fine text.", **changed))
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "Not saved: " + problem.replace("'", "&#39;") in page
    language = problem.split(":")[0]
    assert re.search(rf'data-problem="{language}">{re.escape(problem.split(": ", 1)[1])}', page)
    assert "Fine text." in page  # what was typed is kept for the next try
    assert _fresh(db).get(Advisory, advisory_id).texts == texts and _audits(db, "content.advisory.updated") == []


def test_the_dlt_fit_of_each_broadcast_sms_is_shown_and_why_none_fits_once_its_template_is_off(
        signed_in, db, maharashtra_cotton):
    advisory_id, _texts = maharashtra_cotton
    agronomist, admin = signed_in("agronomist"), signed_in("admin")
    page = agronomist.text(f"/console/content/advisories/{advisory_id}")
    english = re.search(r'<tr class="">\s*<td data-label="Language">English</td>.*?data-label="DLT template">'
                        r'([^<]+)</td>', page, re.S)
    assert english, page[page.index("As a broadcast SMS"):][:1500]
    template = _fresh(db).scalar(select(DltTemplate).where(DltTemplate.template_id == english[1]))
    assert template.category == "service_explicit" and "{#var#}" in template.text

    assert agronomist.post(f"/console/content/templates/{template.id}/deactivate").status_code == 403
    try:
        assert admin.post(f"/console/content/templates/{template.id}/deactivate").status_code == 302
        page = agronomist.text(f"/console/content/advisories/{advisory_id}")
        assert re.search(r'<tr class="unfit">\s*<td data-label="Language">English</td>.*?none fits</span>: '
                         r'DLT: no registered service_explicit template', page, re.S)
        measured = agronomist.client.post(f"/console/content/advisories/{advisory_id}/measure/en",
                                          json={"text": "Set traps."}, headers={"X-CSRFToken": agronomist.token})
        assert measured.json["summary"].endswith("as a broadcast: 1 SMS, fits no DLT template")
    finally:
        assert admin.post(f"/console/content/templates/{template.id}/activate").status_code == 302
    assert [e.target_id for e in _audits(db, "content.dlt.deactivated")] == [str(template.id)]
    [on] = _audits(db, "content.dlt.activated")
    assert on.detail["changed"] == {"active": {"before": False, "after": True}}
    assert _fresh(db).get(DltTemplate, template.id).active


def test_the_live_count_measures_as_the_outbox_does(signed_in, maharashtra_cotton):
    advisory_id, _texts = maharashtra_cotton
    agronomist = signed_in("agronomist")
    url = f"/console/content/advisories/{advisory_id}/measure/"
    hindi = agronomist.client.post(url + "hi", json={"text": "नीम का तेल छिड़कें।"},
                                   headers={"X-CSRFToken": agronomist.token}).json
    assert (hindi["encoding"], hindi["segments"], hindi["limit"]) == ("UCS-2", 1, 300)
    assert hindi["template_id"]
    assert hindi["summary"] == f"19 of 300 characters · UCS-2 · 1 SMS · as a broadcast: 2 SMS, DLT template " \
                               f"{hindi['template_id']}"
    latin = agronomist.client.post(url + "hi_Latn", json={"text": "Neem ka tel chhidkein. " * 8},
                                   headers={"X-CSRFToken": agronomist.token}).json
    assert (latin["encoding"], latin["segments"], "template_id" in latin) == ("GSM-7", 2, False)
    viewer = signed_in("viewer")
    assert viewer.client.post(url + "hi", json={"text": "x"}, headers={"X-CSRFToken": viewer.token}).status_code == 403
    assert agronomist.client.post(url + "hi", json={"text": "x"}).status_code == 400  # no CSRF token


def test_a_regional_variant_is_made_from_the_national_advice_once(signed_in, db):
    national = db.scalar(select(Advisory).join(Crop).where(Crop.code == "wheat", Advisory.stage == "sowing",
                                                           Advisory.state_id.is_(None)))
    punjab = db.scalar(select(State.id).where(State.name == "Punjab"))
    agronomist = signed_in("agronomist")
    made = agronomist.post(f"/console/content/advisories/{national.id}/variant", {"state": str(punjab)})
    try:
        assert made.status_code == 302
        variant = _fresh(db).scalar(select(Advisory).where(Advisory.key == "wheat:sowing:Punjab"))
        assert made.headers["Location"].endswith(f"/console/content/advisories/{variant.id}")
        assert (variant.state_id, variant.texts) == (punjab, national.texts)
        [event] = _audits(db, "content.advisory.created")
        assert event.detail == {"key": "wheat:sowing:Punjab", "copied_from": national.id, "state": "Punjab"}
        again = agronomist.post(f"/console/content/advisories/{national.id}/variant", {"state": str(punjab)})
        assert "exists already" in agronomist.text(again.headers["Location"])
    finally:
        with _fresh(db).begin():
            db.execute(delete(Advisory).where(Advisory.key == "wheat:sowing:Punjab"))


def test_an_admin_records_a_template_checked_as_kheti_dlt_add_checks_it(signed_in, db):
    fields = {"template_id": "1107170000000000777", "entity_id": "1101000000000000001", "header": "KHETIS",
              "category": "service_implicit", "name": "mela", "text": "KHETI MELA at {#var#} on {#var#}"}
    assert signed_in("agronomist").post("/console/content/templates", fields).status_code == 403
    admin = signed_in("admin")
    refused = admin.post("/console/content/templates", {**fields, "header": "TOO-LONG-HEADER", "name": " "})
    assert refused.status_code == 400
    assert "name: required; header: at most 11 characters" in refused.get_data(as_text=True)
    assert admin.post("/console/content/templates", {**fields, "category": "spam"}).status_code == 400
    assert _fresh(db).scalar(select(DltTemplate).where(DltTemplate.template_id == fields["template_id"])) is None
    try:
        assert admin.post("/console/content/templates", fields).status_code == 302
        row = _fresh(db).scalar(select(DltTemplate).where(DltTemplate.template_id == fields["template_id"]))
        assert (row.active, row.source, row.header, row.category) == (True, "registered", "KHETIS", "service_implicit")
        assert "KHETI MELA at {#var#} on {#var#}" in admin.text("/console/content/templates")
        [added] = _audits(db, "content.dlt.added")
        assert (added.target_id, added.detail["changed"]["text"]["after"]) == (str(row.id), fields["text"])
        assert added.detail["template"] == "mela: 1107170000000000777"
        assert admin.post(f"/console/content/templates/{row.id}/deactivate").status_code == 302
        assert not _fresh(db).get(DltTemplate, row.id).active
        assert len(_audits(db, "content.dlt.deactivated")) == 1
    finally:
        with _fresh(db).begin():
            db.execute(delete(DltTemplate).where(DltTemplate.template_id == fields["template_id"]))


def test_the_cli_refuses_what_the_console_refuses(kheti, db):  # noqa: F811
    refused = kheti("advisory", "add", "--crop", "cotton", "--key", "cotton-too-long", "--en", "x" * 301,
                    "--hi", "गुलाबी सुंडी", "--mr", "गुलाबी बोंडअळी", "--hi-latn", "गुलाबी")
    assert refused.exit_code == 1
    assert "Error: en: 301 characters, more than 300; hi_Latn: Latin letters only" in refused.output
    assert _fresh(db).scalar(select(Advisory).where(Advisory.key == "cotton-too-long")) is None
    blank = kheti("dlt", "add", "--template-id", "1107", "--entity-id", "1101", "--header", "KHETIS",
                  "--category", "promotional", "--name", " ", "--text", "x")
    assert blank.exit_code == 1 and "Error: name: required" in blank.output


@pytest.fixture
def plan(sessions):
    with sessions() as db:
        row = db.scalar(select(Plan).where(Plan.code == "monthly_basic"))
        kept = {name: getattr(row, name) for name in ("names", "romanised", "price_minor", "duration_days", "active")}
        plan_id = row.id
    yield plan_id
    with sessions() as db, db.begin():
        row = db.get(Plan, plan_id)
        for name, value in kept.items():
            setattr(row, name, value)


def test_an_admin_edits_a_plan_priced_in_rupees_and_stored_in_paise(signed_in, db, plan):
    form = {"name_en": "Monthly advice", "name_hi": "मासिक सलाह", "name_mr": "मासिक सल्ला",
            "name_hi_Latn": "Masik Salah", "name_mr_Latn": "Masik Salla", "price": "45.50", "duration_days": "31",
            "active": "y"}
    viewer = signed_in("viewer")
    assert "Monthly advisory" in viewer.text(f"/console/content/plans/{plan}")
    assert viewer.post(f"/console/content/plans/{plan}", form).status_code == 403
    admin = signed_in("admin")
    for wrong, said in (({"price": "0"}, "price: a price in rupees above 0"),
                        ({"name_mr_Latn": "मासिक"}, "mr_Latn: Latin letters only"),
                        ({"price": "12.345"}, "to the paisa")):
        refused = admin.post(f"/console/content/plans/{plan}", {**form, **wrong})
        assert refused.status_code == 400 and said in refused.get_data(as_text=True)
    assert _fresh(db).get(Plan, plan).price_minor == 3000
    assert admin.post(f"/console/content/plans/{plan}", form).status_code == 302
    row = _fresh(db).get(Plan, plan)
    assert (row.price_minor, row.duration_days, row.names["en"]) == (4550, 31, "Monthly advice")
    [event] = _audits(db, "content.plan.updated")
    assert event.detail["changed"]["price_minor"] == {"before": 3000, "after": 4550}
    assert set(event.detail["changed"]) == {"names", "price_minor", "duration_days"}
    assert "₹45.50 INR" in admin.text("/console/content/plans")


@pytest.fixture
def lasalgaon_onion(sessions):
    with sessions() as db:
        row = db.scalar(select(MarketPrice).join(Mandi).join(Crop).where(
            Mandi.name == "Lasalgaon", Crop.code == "onion", MarketPrice.price_date == SEED_DAY))
        kept = (row.id, row.min_price, row.max_price, row.modal_price, row.source)
    yield kept
    with sessions() as db, db.begin():
        row = db.get(MarketPrice, kept[0])
        row.min_price, row.max_price, row.modal_price, row.source = kept[1:]


class Clock:
    now = 1000.0

    def __call__(self):
        return self.now


def test_a_corrected_price_is_judged_audited_and_heard_by_the_dialogs_within_a_minute(
        signed_in, db, service, lasalgaon_onion):
    price_id, low, high, modal, source = lasalgaon_onion
    nashik = db.scalar(select(District.id).where(District.name == "Nashik"))
    state = db.scalar(select(State.id).where(State.name == "Maharashtra"))
    clock = Clock()
    dialogs = DialogServices(reads=service.backends.reads, reference=ReferenceData(service.backends.sessions),
                             weather=None, layout=UssdLayout(), default_locale="en", timezone="Asia/Kolkata",
                             today=lambda: SEED_DAY, prices_version=PricesVersion(service.backends.redis,
                                                                                  clock=clock).current)
    heard = lambda: {p.mandi.names["en"]: p.modal_price for p in dialogs.prices("onion", nashik, 9)}  # noqa: E731
    assert heard()["Lasalgaon"] == modal

    viewer = signed_in("viewer")
    listed = viewer.text(f"/console/content/prices?crop=onion&state={state}")
    assert re.search(rf'Lasalgaon, Nashik</td>\s*<td data-label="Date">{SEED_DAY.isoformat()}</td>.*?'
                     rf'<td data-label="Source">{source}</td>', listed, re.S)
    assert viewer.post(f"/console/content/prices/{price_id}", {"min_price": "1", "max_price": "3",
                                                                "modal_price": "2"}).status_code == 403
    admin = signed_in("admin")
    for wrong, said in (((1500, 2000, 2500), "modal outside min-max"), ((0, 2000, 1000), "zero price")):
        refused = admin.post(f"/console/content/prices/{price_id}", dict(zip(
            ("min_price", "max_price", "modal_price"), map(str, wrong))))
        assert refused.status_code == 400 and said in refused.get_data(as_text=True)
    assert _fresh(db).get(MarketPrice, price_id).modal_price == modal and _audits(db, "content.price.corrected") == []

    corrected = admin.post(f"/console/content/prices/{price_id}",
                           {"min_price": str(low), "max_price": str(high + 100), "modal_price": str(high + 50)})
    assert corrected.status_code == 302
    row = _fresh(db).get(MarketPrice, price_id)
    assert (row.modal_price, row.max_price, row.source) == (high + 50, high + 100, "operator")
    [event] = _audits(db, "content.price.corrected")
    assert event.detail["changed"]["modal_price"] == {"before": modal, "after": high + 50}
    assert (event.detail["crop"], event.detail["mandi"], event.detail["day"]) == ("onion", "Lasalgaon",
                                                                                   SEED_DAY.isoformat())
    assert heard()["Lasalgaon"] == modal  # within the minute: this process's cached answer
    clock.now += 61
    assert heard()["Lasalgaon"] == high + 50  # the correction's version bump, read at the next check
    assert date.fromisoformat(event.detail["day"]) == SEED_DAY
