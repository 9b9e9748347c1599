"""Every USSD flow walked as a farmer walks it, in English, Hindi and Marathi, through the real app, Redis and
database: each step is (what the farmer presses, what the next screen must show), then the rows it must leave.

Expected texts come from the same catalogues the app uses (`T(key)`), so a case says *which* screen must appear
in *which* language; test_ussd_texts.py pins a few of them word for word.
"""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from dialogs.texts import texts
from farmdb.models import ConsentEvent, ExpertRequest, Farmer, OutboundMessage, Payment
from tests.conftest import SEED_DAY

LOCALES = ["en", "hi", "mr"]
LANGUAGE_KEY = {"en": "1", "hi": "2", "mr": "3"}


def walk(phone, steps):
    """steps: (input, expected fragment); input None dials a new session."""
    for n, (press, expected) in enumerate(steps):
        screen = phone.dial() if press is None else phone.press(press)
        fragments = expected if isinstance(expected, (list, tuple)) else [expected]
        for fragment in fragments:
            assert fragment in screen, f"step {n} ({press!r}): {fragment!r} not on screen:\n{screen}"
    return phone


def crop(code, locale, latin=True):
    from farmdb.seed.places import read_json
    item = next(c for c in read_json("crops.json") if c["code"] == code)
    return item["names"]["en"] if locale == "en" else (item["romanised"][locale] if latin else item["names"][locale])


@pytest.mark.parametrize("locale", LOCALES)
def test_registration(locale, ussd, db):
    T, start = texts(locale, latin=True), texts("hi", latin=True)  # the first screen is in DEFAULT_LOCALE (hi)
    phone = ussd("+919812300001")
    walk(phone, [
        (None, [start("language.title"), "1 English", "2 Hindi", "3 Marathi"]),
        (LANGUAGE_KEY[locale], T("reg.name.prompt")),
        ("Sunita  Shinde", T("reg.state.title")),
        ("maharashtra", T("reg.district.title")),  # typed: matched to the state
        ("nasik", T("reg.crops.title")),  # misspelt: matched to Nashik
        ("6", "+" + crop("onion", locale)),  # tick onion
        ("5", "+" + crop("soybean", locale)),
        ("5", T("reg.crops.title")),  # untick soybean again
        ("99", T("reg.consent.notice")[:40]),
        ("1", T("main.title", name="Sunita")),
    ])
    farmer = db.scalar(select(Farmer).where(Farmer.phone == "+919812300001"))
    assert (farmer.name, farmer.locale, farmer.district.name, farmer.registered_via) == \
        ("Sunita Shinde", locale, "Nashik", "ussd")
    assert [fc.crop.code for fc in farmer.crops] == ["onion"]
    assert farmer.has_consent and farmer.consent_channel == "ussd"
    event = db.scalar(select(ConsentEvent).where(ConsentEvent.farmer_id == farmer.id))
    assert (event.action, event.channel, event.notice) == ("given", "ussd", "reg.consent.notice")


def test_registration_picks_from_paged_lists_or_typed_names(ussd, db):
    T = texts("en", latin=True)
    phone = ussd("+919812300002")
    walk(phone, [
        (None, "1 English"), ("1", T("reg.name.prompt")), ("Ravi", "1 Andaman"),
        ("98", "8 Dadra"), ("98", "21 Maharashtra"), ("21", T("reg.district.title")),
        ("aurangbad", T("reg.crops.title")),  # one clear match, despite the spelling: taken
    ])
    walk(phone, [
        (None, T("resume.title")),  # that call dropped mid-registration
        ("2", "1 English"), ("1", ""), ("Ravi", ""), ("bihar", T("reg.district.title")),
        ("xyzzy", T("error.not_found")),
        ("purnea", T("reg.crops.title")),
    ])


def test_a_typed_name_matching_several_districts_offers_them(ussd, db):
    T = texts("en", latin=True)
    phone = walk(ussd("+919812300004"), [(None, ""), ("1", ""), ("Ravi", ""), ("uttar pradesh", "")])
    screen = phone.press("kanpur")  # Kanpur Dehat or Kanpur Nagar?
    assert screen.startswith(T("error.did_you_mean"))
    assert "1 Kanpur Dehat" in screen and "2 Kanpur Nagar" in screen and "0 Back" in screen
    walk(phone, [("0", "1 Agra"), ("kanpur", T("error.did_you_mean")), ("2", T("reg.crops.title")),
                 ("1", ""), ("99", ""), ("1", "")])
    farmer = db.scalar(select(Farmer).where(Farmer.phone == "+919812300004"))
    assert farmer.district.name == "Kanpur Nagar" and farmer.state.name == "Uttar Pradesh"


@pytest.mark.parametrize("typed, district", [
    ("bareli", "Bareilly"), ("raebareli", "Rae Bareli"), ("बरेली", "Bareilly"),
    ("alahabad", "Prayagraj"),  # Allahabad until 2018: the old name, misspelt, still finds it
])
def test_district_names_are_matched_by_sound(ussd, db, typed, district):
    phone = walk(ussd("+919812300005"), [(None, ""), ("1", ""), ("Ravi", ""), ("uttar pradesh", ""),
                                         (typed, texts("en", True)("reg.crops.title"))])
    walk(phone, [("1", ""), ("99", ""), ("1", "")])
    assert db.scalar(select(Farmer).where(Farmer.phone == "+919812300005")).district.name == district


@pytest.mark.parametrize("typed", ["ahmednagar", "Ahmadnagar", "अहमदनगर", "nagar", "ahilyanagar", "अहिल्यानगर"])
def test_a_district_typed_by_its_old_name_is_registered_under_its_name_today(ussd, db, typed):
    phone = walk(ussd("+919812300006"), [(None, ""), ("1", ""), ("Ravi", ""), ("maharashtra", ""),
                                         (typed, texts("en", True)("reg.crops.title"))])
    walk(phone, [("1", ""), ("99", ""), ("1", "")])
    district = db.scalar(select(Farmer).where(Farmer.phone == "+919812300006")).district
    assert district.name == "Ahilyanagar" and district.names["mr"] == "अहिल्यानगर"


def test_declining_consent_stores_nothing(ussd, db):
    T = texts("mr", latin=True)
    walk(ussd("+919812300003"), [
        (None, ""), ("3", ""), ("Ganesh", ""), ("maharashtra", ""), ("pune", ""), ("1", ""), ("99", ""),
        ("2", T("reg.consent.declined")),
    ])
    assert db.scalar(select(Farmer).where(Farmer.phone == "+919812300003")) is None
    assert db.scalars(select(ConsentEvent)).all() == []


@pytest.mark.parametrize("locale", LOCALES)
def test_a_known_farmer_lands_on_the_main_menu_in_their_language(locale, ussd, register_farmer):
    register_farmer(locale=locale)
    T = texts(locale, latin=True)
    screen = ussd().dial()
    assert screen.startswith(T("main.title", name="Asha"))
    for n, key in enumerate(["main.weather", "main.prices", "main.advice", "main.pest", "main.expert",
                             "main.account", "main.subscribe"], 1):
        assert f"{n} {T(key)}" in screen


@pytest.mark.parametrize("locale", LOCALES)
def test_weather(locale, ussd, register_farmer):
    register_farmer(locale=locale)
    T = texts(locale, latin=True)
    screen = walk(ussd(), [(None, ""), ("1", T("weather.title", district="Nashik"))]).screen
    for day in ("weather.day0", "weather.day1", "weather.day2"):
        assert T(day) + ":" in screen
    assert "mm" in screen and "C" in screen


@pytest.mark.parametrize("locale", LOCALES)
def test_mandi_prices_of_the_farmers_own_crop_at_the_nearest_mandis(locale, ussd, register_farmer):
    register_farmer(locale=locale)
    T = texts(locale, latin=True)
    phone = walk(ussd(), [(None, ""), ("2", ["1 " + crop("soybean", locale), "2 " + crop("onion", locale)])])
    screen = phone.press("2")
    assert T("prices.title", crop=crop("onion", locale)) in screen
    lines = screen.splitlines()[1:3]
    assert lines[0].startswith(("Lasalgaon, ", "Pimpalgaon"))  # Nashik's own mandis
    assert all("Rs " in line and "(" in line and f", {T('prices.today')}: " in line for line in lines)  # dated


def test_prices_for_a_crop_nobody_reported(ussd, register_farmer, db):
    register_farmer()
    T = texts("en", latin=True)
    phone = walk(ussd(), [(None, ""), ("2", "")])
    while "Watermelon" not in phone.screen:
        phone.press("98")
    number = next(line.split()[0] for line in phone.screen.splitlines() if line.endswith("Watermelon"))
    assert T("prices.none", crop="Watermelon") in phone.press(number)


@pytest.mark.parametrize("locale", LOCALES)
def test_crop_advice_for_the_current_stage_then_by_sms(locale, ussd, register_farmer, db):
    sown = {"onion": SEED_DAY - timedelta(days=50)}  # past transplanting: in its growth stage
    register_farmer(locale=locale, sown=sown)
    T = texts(locale, latin=True)
    phone = walk(ussd(), [(None, ""), ("3", T("advice.crop.title")),
                          ("2", T("advice.title", crop=crop("onion", locale), stage=T("stage.establishment")))])
    pages = [phone.screen]
    while "1 " + T("advice.send_sms") not in phone.screen:  # the farmer reads on, page by page
        pages.append(phone.press("98"))
    assert 2 <= len(pages) <= 4
    walk(phone, [("1", T("advice.sms_sent"))])
    assert phone.ended
    [sms] = db.scalars(select(OutboundMessage)).all()
    assert (sms.purpose, sms.status, sms.locale) == ("advisory", "sent", locale)
    if locale != "en":  # the SMS is in the farmer's own script: phones show Devanagari SMS
        assert sms.encoding == "UCS-2" and crop("onion", locale, latin=False) in sms.body
    assert sms.segments <= 5


def test_crop_advice_asks_the_stage_when_the_sowing_date_is_unknown(ussd, register_farmer):
    register_farmer(locale="hi")
    T = texts("hi", latin=True)
    phone = walk(ussd(), [(None, ""), ("3", ""), ("1", T("advice.stage.title", crop=crop("soybean", "hi")))])
    walk(phone, [("1", T("advice.title", crop=crop("soybean", "hi"), stage=T("stage.sowing")))])


@pytest.mark.parametrize("locale", LOCALES)
def test_pest_report_from_the_list(locale, ussd, register_farmer, db):
    register_farmer(locale=locale)
    T = texts(locale, latin=True)
    phone = walk(ussd(), [(None, ""), ("4", T("pest.crop.title")), ("1", T("pest.symptom.title")), ("2", "")])
    assert phone.ended
    [request] = db.scalars(select(ExpertRequest)).all()
    assert (request.kind, request.crop.code, request.description, request.channel, request.status) == \
        ("pest_report", "soybean", "holes", "ussd", "open")
    assert request.ticket in phone.screen and len(request.ticket) == 7
    [sms] = db.scalars(select(OutboundMessage)).all()
    assert request.ticket in sms.body and sms.purpose == "ticket"


def test_pest_report_in_the_farmers_words(ussd, register_farmer, db):
    register_farmer(locale="mr")
    T = texts("mr", latin=True)
    walk(ussd(), [(None, ""), ("4", ""), ("2", ""), ("7", T("pest.describe.prompt")),
                  ("!!", T("error.description")), ("pane pivli padli, pandhre kide", "")])
    [request] = db.scalars(select(ExpertRequest)).all()
    assert (request.crop.code, request.description) == ("onion", "pane pivli padli, pandhre kide")


@pytest.mark.parametrize("locale", LOCALES)
def test_expert_call_back(locale, ussd, register_farmer, db):
    register_farmer(locale=locale)
    T = texts(locale, latin=True)
    phone = walk(ussd(), [(None, ""), ("5", T("expert.title")), ("1", "")])
    [request] = db.scalars(select(ExpertRequest)).all()
    assert phone.ended and phone.screen == T("expert.done", ticket=request.ticket)
    assert request.kind == "callback" and request.crop is None


def test_expert_declined_goes_back_to_the_menu(ussd, register_farmer, db):
    register_farmer()
    walk(ussd(), [(None, ""), ("5", ""), ("2", "Namaste Asha")])
    assert db.scalars(select(ExpertRequest)).all() == []


def test_account_change_language_then_the_menu_speaks_it(ussd, register_farmer, db):
    farmer_id = register_farmer(locale="en")
    walk(ussd(), [(None, ""), ("6", "My account"), ("1", "2 Hindi"), ("2", texts("hi", True)("account.saved")),
                  ("00", texts("hi", True)("main.title", name="Asha"))])
    assert db.get(Farmer, farmer_id).locale == "hi"


def test_account_change_crops_keeps_sowing_dates(ussd, register_farmer, db):
    farmer_id = register_farmer(sown={"onion": date(2026, 10, 1)})
    walk(ussd(), [(None, ""), ("6", ""), ("2", ["+Soybean", "+Onion", "99 Done"]), ("1", "+Wheat"),
                  ("5", ""), ("99", "Saved."), ("0", "My account")])
    farmer = db.get(Farmer, farmer_id)
    assert {fc.crop.code: fc.sown_on for fc in farmer.crops} == {"wheat": None, "onion": date(2026, 10, 1)}


def test_account_change_district(ussd, register_farmer, db):
    farmer_id = register_farmer()
    walk(ussd(), [(None, ""), ("6", ""), ("3", "Choose your state"), ("gujarat", "Choose your district"),
                  ("rajkot", "Saved.")])
    assert db.get(Farmer, farmer_id).district.name == "Rajkot"


def test_account_stop_and_restart_advice_sms(ussd, register_farmer, db):
    farmer_id = register_farmer()
    phone = walk(ussd(), [(None, ""), ("6", "4 Stop advice SMS"), ("4", "Stop advice SMS?"), ("1", "Saved."),
                          ("1", "4 Restart advice SMS")])
    assert db.get(Farmer, farmer_id).sms_opted_out
    walk(phone, [("4", "Restart advice SMS?"), ("1", "Saved.")])
    db.rollback()  # end this test's read transaction: SQLite would keep showing its snapshot
    assert not db.get(Farmer, farmer_id).sms_opted_out


def test_withdrawing_consent_erases_the_farmer_but_keeps_the_consent_record(ussd, register_farmer, db):
    register_farmer()
    T = texts("en", latin=True)
    phone = walk(ussd(), [(None, ""), ("3", ""), ("1", ""), ("1", ""), ("1", T("advice.sms_sent"))])  # an SMS
    walk(phone, [(None, ""), ("6", ""), ("5", T("account.delete.confirm")[:30]), ("1", T("account.deleted"))])
    db.expire_all()
    assert db.scalar(select(Farmer).where(Farmer.phone == "+919812345678")) is None
    events = db.scalars(select(ConsentEvent).order_by(ConsentEvent.id)).all()
    assert [(e.action, e.farmer_id) for e in events] == [("given", None), ("withdrawn", None)]
    assert events[1].channel == "ussd"
    assert all(m.phone == "erased" and m.farmer_id is None for m in db.scalars(select(OutboundMessage)))
    assert "1 English" in phone.dial()  # a stranger again


def test_subscribe_creates_one_pending_payment_and_sends_its_link(ussd, register_farmer, db):
    farmer_id = register_farmer(locale="hi")
    T = texts("hi", latin=True)
    phone = walk(ussd(), [(None, ""), ("7", T("subscribe.title")), ("2", "Rs 99"), ("1", T("subscribe.done"))])
    walk(phone, [(None, ""), ("7", ""), ("2", ""), ("1", T("subscribe.done"))])  # confirmed twice the same day
    [payment] = db.scalars(select(Payment)).all()
    assert (payment.farmer_id, payment.status, payment.amount_minor, payment.currency, payment.plan.code) == \
        (farmer_id, "pending", 9900, "INR", "season_basic")
    assert payment.idempotency_key.startswith(f"subscribe:{farmer_id}:season_basic:")
    [sms] = db.scalars(select(OutboundMessage)).all()
    assert sms.purpose == "payment_link" and payment.link_url in sms.body and "₹99" in sms.body


def test_a_dropped_session_can_be_continued(ussd, register_farmer):
    register_farmer()
    T = texts("en", latin=True)
    phone = walk(ussd(), [(None, ""), ("4", ""), ("2", T("pest.symptom.title"))])  # onion chosen, then the call drops
    walk(phone, [(None, [T("resume.title"), "1 " + T("resume.continue"), "2 " + T("resume.restart")]),
                 ("1", T("pest.symptom.title")), ("7", T("pest.describe.prompt"))])
    walk(phone, [(None, T("resume.title")), ("2", T("main.title", name="Asha"))])


def test_dropping_on_the_offer_to_continue_keeps_the_form(ussd, register_farmer):
    register_farmer()
    T = texts("en", latin=True)
    phone = walk(ussd(), [(None, ""), ("4", ""), ("2", T("pest.symptom.title"))])  # onion chosen, then a drop
    walk(phone, [(None, T("resume.title"))])  # the call drops again, right on "continue?"
    walk(phone, [(None, T("resume.title")), ("1", T("pest.symptom.title"))])  # still there, onion and all


def test_a_finished_session_is_not_offered_for_continuing(ussd, register_farmer):
    register_farmer()
    phone = walk(ussd(), [(None, ""), ("5", ""), ("1", "")])
    assert phone.ended and phone.dial().startswith("Namaste Asha")


def test_hanging_up_on_an_answer_is_not_offered_for_continuing(ussd, register_farmer):
    register_farmer()
    phone = walk(ussd(), [(None, ""), ("2", ""), ("2", "Onion per quintal")])  # read the prices, hung up
    assert phone.dial().startswith("Namaste Asha")


def test_no_on_a_question_leads_home_without_a_way_back_into_it(ussd, register_farmer):
    register_farmer()
    screen = walk(ussd(), [(None, ""), ("5", ""), ("2", "Namaste Asha")]).screen
    assert "0 Back" not in screen


def test_a_price_alert_set_on_ussd_is_stored_and_listed(ussd, register_farmer, db):
    from farmdb.models import PriceAlert
    register_farmer()
    phone = walk(ussd(), [(None, ""), ("2", ""), ("2", "Onion per quintal")])  # the farmer's onion prices
    assert "Set a price alert" in phone.press("98")  # after three mandis' prices
    mandi = phone.press(next(line.split()[0] for line in phone.screen.splitlines() if "Set a price alert" in line))
    assert "Nearest 3 mandis" in mandi
    assert "Type rupees" in phone.press("1")
    saved = phone.press("4,000")
    assert "We will SMS you when Onion (" in saved and "goes above Rs 4,000 a quintal" in saved
    alert = db.scalars(select(PriceAlert)).one()
    assert (alert.direction, alert.amount, alert.channel, alert.armed) == ("above", 4000, "ussd", True)
    listed = phone.press("1")  # My price alerts
    assert "1 Onion above Rs 4,000," in listed
