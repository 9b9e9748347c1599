"""Price alerts in the core: set and cancelled through the dialogs' effects, checked after each import against the
latest prices, one SMS per crossing in the farmer's language, with the send window, DLT and opt-out respected."""
import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from dialogs.effects import CancelPriceAlerts, SetPriceAlert
from dialogs.flows.price_alerts import ALERT_DAYS, MAX_ALERTS
from farmdb import farmers
from farmdb.models import Crop, District, Farmer, Mandi, MarketPrice, OutboundMessage, PriceAlert
from service import farmer_records
from service.effects import apply_effects
from service.prices import alerts
from service.prices.runs import import_text
from tests.service.prices.conftest import recorded

DAY = date(2026, 12, 4)


@pytest.fixture
def place(prices_db):
    """Ids by name: mandis, crops, districts."""
    with prices_db() as db:
        ids = {m.name: m.id for m in db.scalars(select(Mandi))}
        ids |= {c.code: c.id for c in db.scalars(select(Crop))}
        ids |= {f"district:{d.name}": d.id for d in db.scalars(select(District))}
    return ids


@pytest.fixture
def farmer(register_farmer):
    return register_farmer(phone="+919812345678", locale="mr", district="Nashik", crops=("onion",))


def set_alert(service, farmer_id, *, mandi=None, district=None, direction="above", amount=2000, armed=True,
              crop="onion", day=DAY):
    effect = SetPriceAlert(farmer_id=farmer_id, crop=crop, mandi_id=mandi, district_id=district, direction=direction,
                           amount=amount, channel="ussd", expires_on=day + timedelta(days=ALERT_DAYS), armed=armed)
    with service.backends.sessions() as db, db.begin():
        apply_effects(service, db, [effect])


def price(service, place, mandi, day, modal, crop="onion"):
    with service.backends.sessions() as db, db.begin():
        district = db.get(Mandi, place[mandi]).district_id
        db.add(MarketPrice(crop_id=place[crop], mandi_id=place[mandi], district_id=district, price_date=day,
                           min_price=modal - 200, max_price=modal + 200, modal_price=modal, source="agmarknet"))


def sent(service):
    with service.backends.sessions() as db:
        return [(m.purpose, m.category, m.body) for m in db.scalars(
            select(OutboundMessage).where(OutboundMessage.purpose == "price_alert").order_by(OutboundMessage.id))]


def the_alert(service) -> PriceAlert:
    with service.backends.sessions() as db:
        return db.scalars(select(PriceAlert)).one()


def test_one_sms_per_crossing_not_one_a_day_above(service, place, farmer):
    set_alert(service, farmer, mandi=place["Lasalgaon"])
    said = []
    for n, modal in enumerate([1800, 2100, 2200, 1900, 2050]):
        day = DAY + timedelta(days=n)
        price(service, place, "Lasalgaon", day, modal)
        checked = alerts.check(service, day)
        said.append(checked.sent)
    assert said == [0, 1, 0, 0, 1]  # crossed; stayed above; fell back (armed again); crossed again
    messages = sent(service)
    assert [m[:2] for m in messages] == [("price_alert", "service_explicit")] * 2
    assert messages[0][2] == ("खेती सहायक भाव अलर्ट: लासलगाव येथे 5 डिसेंबर रोजी कांदा भाव क्विंटलला ₹2,100 झाला, "
                              "तुम्ही ठरवलेल्या ₹2,000 च्या वर. अलर्ट पाहायला किंवा रद्द करायला ALERTS पाठवा.")
    alert = the_alert(service)
    assert (alert.times_sent, alert.armed, alert.last_price, alert.last_price_date) == (2, False, 2050,
                                                                                       DAY + timedelta(days=4))


def test_checking_again_with_no_new_price_sends_nothing_more(service, place, farmer):
    set_alert(service, farmer, mandi=place["Lasalgaon"])
    price(service, place, "Lasalgaon", DAY, 2100)
    assert [alerts.check(service, DAY).sent for _ in range(3)] == [1, 0, 0]
    assert len(sent(service)) == 1


def test_a_fall_below_at_the_nearest_three_names_the_mandi_that_fell(service, place, farmer):
    set_alert(service, farmer, district=place["district:Nashik"], direction="below", amount=1500)
    price(service, place, "Lasalgaon", DAY, 1700)
    price(service, place, "Pimpalgaon Baswant", DAY, 1450)
    price(service, place, "Indore", DAY, 900)  # 400 km from Nashik: out of reach
    assert alerts.check(service, DAY).sent == 1
    assert "पिंपळगाव बसवंत" in sent(service)[0][2] and "₹1,450" in sent(service)[0][2]


def test_a_fourth_mandi_is_not_watched(service, place, farmer):
    set_alert(service, farmer, district=place["district:Nashik"], direction="below", amount=1000)
    price(service, place, "Ahmednagar", DAY, 900)  # in reach, but the fourth nearest
    for mandi in ("Lasalgaon", "Pimpalgaon Baswant", "Nashik"):
        price(service, place, mandi, DAY, 1700)
    assert alerts.check(service, DAY).sent == 0


def test_an_old_price_is_not_news(service, place, farmer):
    set_alert(service, farmer, mandi=place["Lasalgaon"])
    price(service, place, "Lasalgaon", DAY - timedelta(days=service.settings.price_stale_days + 1), 2500)
    assert alerts.check(service, DAY).sent == 0


def test_an_opted_out_farmer_gets_nothing_and_hears_once_back(service, place, farmer):
    set_alert(service, farmer, mandi=place["Lasalgaon"])
    with service.backends.sessions() as db, db.begin():
        db.get(Farmer, farmer).sms_opted_out = True
    price(service, place, "Lasalgaon", DAY, 2100)
    checked = alerts.check(service, DAY)
    assert (checked.sent, dict(checked.skipped)) == (0, {"no consent or opted out": 1}) and sent(service) == []
    with service.backends.sessions() as db, db.begin():
        db.get(Farmer, farmer).sms_opted_out = False
    price(service, place, "Lasalgaon", DAY + timedelta(days=1), 2150)
    assert alerts.check(service, DAY + timedelta(days=1)).sent == 1  # still armed: nothing had been said


def test_cancelled_and_expired_alerts_are_not_checked(service, place, farmer):
    set_alert(service, farmer, mandi=place["Lasalgaon"], day=DAY - timedelta(days=ALERT_DAYS + 1))  # expired
    set_alert(service, farmer, mandi=place["Lasalgaon"], amount=1900)
    with service.backends.sessions() as db, db.begin():
        newest = db.scalar(select(PriceAlert.id).order_by(PriceAlert.id.desc()).limit(1))
        apply_effects(service, db, [CancelPriceAlerts(farmer, (newest,))])
    price(service, place, "Lasalgaon", DAY, 2500)
    assert alerts.check(service, DAY).alerts == 0 and sent(service) == []


def test_an_alert_already_past_waits_for_the_price_to_come_back_and_cross(service, place, farmer):
    set_alert(service, farmer, mandi=place["Lasalgaon"], armed=False)
    price(service, place, "Lasalgaon", DAY, 2100)
    assert alerts.check(service, DAY).sent == 0


def test_the_same_alert_again_renews_it_and_a_sixth_is_refused(service, place, farmer):
    set_alert(service, farmer, mandi=place["Lasalgaon"])
    set_alert(service, farmer, mandi=place["Lasalgaon"], day=DAY + timedelta(days=10))
    with service.backends.sessions() as db:
        rows = db.scalars(select(PriceAlert)).all()
    assert len(rows) == 1 and rows[0].expires_on == DAY + timedelta(days=10 + ALERT_DAYS)
    for amount in range(2100, 2100 + 10 * MAX_ALERTS, 10):
        set_alert(service, farmer, mandi=place["Lasalgaon"], amount=amount)
    with service.backends.sessions() as db:
        assert len(db.scalars(select(PriceAlert)).all()) == MAX_ALERTS


def test_a_farmer_cancels_only_their_own(service, place, farmer, register_farmer):
    other = register_farmer(phone="+919812345679")
    set_alert(service, other, mandi=place["Lasalgaon"])
    with service.backends.sessions() as db, db.begin():
        theirs = db.scalar(select(PriceAlert.id))
        apply_effects(service, db, [CancelPriceAlerts(farmer, (theirs,))])
    assert the_alert(service).cancelled_at is None


def test_an_import_checks_the_alerts_and_a_night_import_sends_in_the_morning(service, place, farmer, clock,
                                                                             monkeypatch):
    """The recorded day has Lasalgaon onion at 2,300 (tests/service/prices/data): over the farmer's 2,000."""
    monkeypatch.setattr(alerts, "local_today", lambda _service: DAY)
    set_alert(service, farmer, mandi=place["Lasalgaon"])
    clock.set(datetime(2026, 12, 4, 17, 0, tzinfo=timezone.utc))  # 22:30 in India: outside the send window
    import_text(service, json.dumps(recorded("maharashtra_page1.json")), name="day.json")
    with service.backends.sessions() as db:
        message = db.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "price_alert")).one()
        assert message.status == "queued" and message.template_id  # matched a registered template
        assert message.send_after == datetime(2026, 12, 5, 4, 30, tzinfo=timezone.utc)  # 10:00 IST
        assert "लासलगाव" in message.body and the_alert(service).times_sent == 1


def test_withdrawing_consent_erases_the_alerts(service, place, farmer):
    set_alert(service, farmer, mandi=place["Lasalgaon"])
    with service.backends.sessions() as db, db.begin():
        farmers.erase(db, db.get(Farmer, farmer), channel="sms", notice="sms.delete.confirm")
    with service.backends.sessions() as db:
        assert db.scalars(select(PriceAlert)).all() == []


def test_the_timeline_shows_each_alert_and_its_cancelling(service, place, farmer):
    set_alert(service, farmer, mandi=place["Lasalgaon"])
    set_alert(service, farmer, district=place["district:Nashik"], direction="below", amount=1500)
    with service.backends.sessions() as db, db.begin():
        first = db.scalar(select(PriceAlert.id).order_by(PriceAlert.id))
        apply_effects(service, db, [CancelPriceAlerts(farmer, (first,))])
    with service.backends.sessions() as db:
        events = [(e.kind, e.summary, e.status) for e in
                  farmer_records.timeline(db, db.get(Farmer, farmer)) if e.kind == "price_alert"]
    till = DAY + timedelta(days=ALERT_DAYS)
    assert sorted(events) == sorted([
        ("price_alert", f"onion above Rs 2,000/quintal at Lasalgaon (by ussd, till {till})", "cancelled"),
        ("price_alert", f"cancelled: onion above Rs 2,000/quintal at Lasalgaon (by ussd, till {till})", "cancelled"),
        ("price_alert", f"onion below Rs 1,500/quintal at the 3 mandis nearest Nashik (by ussd, till {till})",
         "expired" if till < date.today() else "active"),
    ])


def test_a_second_import_the_same_day_a_correction_and_a_late_report_all_count(service, place, farmer):
    """Each check looks afresh: it is `armed` that keeps it to one SMS a crossing, not the day of the price."""
    set_alert(service, farmer, district=place["district:Nashik"], direction="below", amount=1500)
    price(service, place, "Lasalgaon", DAY, 1700)
    assert alerts.check(service, DAY).sent == 0
    price(service, place, "Pimpalgaon Baswant", DAY, 1400)  # the next page of the same day
    assert alerts.check(service, DAY).sent == 1

    set_alert(service, farmer, mandi=place["Lasalgaon"], amount=2000)
    assert alerts.check(service, DAY).sent == 0
    with service.backends.sessions() as db, db.begin():  # the board corrects today's Lasalgaon price
        db.scalars(select(MarketPrice).where(MarketPrice.mandi_id == place["Lasalgaon"],
                                             MarketPrice.price_date == DAY)).one().modal_price = 2300
    assert alerts.check(service, DAY).sent == 1

    set_alert(service, farmer, mandi=place["Nashik"], amount=2000)
    price(service, place, "Nashik", DAY, 1800)
    assert alerts.check(service, DAY).sent == 0
    price(service, place, "Nashik", DAY - timedelta(days=1), 2600)  # yesterday's, reported late
    assert alerts.check(service, DAY).sent == 0  # today's 1,800 is the latest: not crossed


def test_demo_prices_never_set_an_alert_off(service, place, farmer):
    set_alert(service, farmer, mandi=place["Lasalgaon"], amount=100)
    with service.backends.sessions() as db, db.begin():
        db.add(MarketPrice(crop_id=place["onion"], mandi_id=place["Lasalgaon"], district_id=place["district:Nashik"],
                           price_date=DAY, min_price=1500, max_price=1900, modal_price=1700, source="demo"))
    assert alerts.check(service, DAY).sent == 0


def test_an_sms_refused_for_want_of_a_dlt_template_leaves_the_alert_armed(service, place, farmer):
    from sqlalchemy import delete

    from farmdb.models import DltTemplate
    set_alert(service, farmer, mandi=place["Lasalgaon"])
    price(service, place, "Lasalgaon", DAY, 2100)
    with service.backends.sessions() as db, db.begin():
        db.execute(delete(DltTemplate))  # put back by the fixture's seed
    checked = alerts.check(service, DAY)
    assert checked.sent == 0 and sum(checked.skipped.values()) == 1
    alert = the_alert(service)
    assert alert.armed and alert.times_sent == 0


def test_many_alerts_are_checked_in_batches(service, place, register_farmer, monkeypatch):
    """Batches of BATCH alerts a transaction: every alert checked once, each SMS queued once."""
    monkeypatch.setattr(alerts, "BATCH", 7)
    farmer_ids = [register_farmer(phone=f"+9198123{n:05d}", district=district)
                  for n, district in enumerate(["Nashik", "Pune", "Ahilyanagar"] * 5)]
    for farmer_id in farmer_ids:
        set_alert(service, farmer_id, district=None, mandi=place["Lasalgaon"], amount=2000)
    price(service, place, "Lasalgaon", DAY, 2100)
    checked = alerts.check(service, DAY)
    assert (checked.alerts, checked.sent) == (15, 15) and len(sent(service)) == 15
