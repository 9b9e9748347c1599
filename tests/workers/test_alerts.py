"""The morning jobs: weather alerts where the forecast crosses a threshold, crop-stage advisories by sowing date."""
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select, update

from farmdb.models import Broadcast, District, Farmer, FarmerCrop, OutboundMessage, WeatherForecast

DAY = date(2027, 1, 10)  # no seeded forecast this far ahead: each test writes its own


@pytest.fixture(autouse=True)
def _noon(clock):
    """In-process tasks (the tasks fixture), console sender, noon in India."""


@pytest.fixture
def forecast(sessions):
    """Write a district's forecast: forecast("Nashik", DAY, rain_mm=80, temp_max_c=31)."""
    written = []

    def write(district: str, day: date, rain_mm=0.0, temp_max_c=30.0):
        with sessions() as db, db.begin():
            place = db.scalar(select(District).where(District.name == district))
            row = WeatherForecast(district_id=place.id, forecast_date=day, rain_mm=rain_mm, temp_min_c=18.0,
                                  temp_max_c=temp_max_c)
            db.add(row)
            db.flush()
            written.append(row.id)
    yield write
    with sessions() as db, db.begin():
        db.execute(delete(WeatherForecast).where(WeatherForecast.id.in_(written)))


def _sms(sessions, purpose) -> list[OutboundMessage]:
    with sessions() as db:
        return db.scalars(select(OutboundMessage).where(OutboundMessage.purpose == purpose)
                          .order_by(OutboundMessage.phone, OutboundMessage.id)).all()


def test_heavy_rain_tomorrow_is_announced_once_to_the_district_in_each_language(sessions, register_farmer,
                                                                                forecast, tasks):
    marathi = register_farmer(phone="+919800000011", locale="mr", district="Nashik")
    english = register_farmer(phone="+919800000012", locale="en", district="Nashik")
    register_farmer(phone="+919800000013", locale="en", district="Pune")
    stopped = register_farmer(phone="+919800000014", locale="hi", district="Nashik")
    with sessions() as db, db.begin():
        db.execute(update(Farmer).where(Farmer.id == stopped).values(sms_opted_out=True))
    forecast("Nashik", DAY, rain_mm=12)
    forecast("Nashik", DAY + timedelta(days=1), rain_mm=88.4)
    forecast("Pune", DAY, rain_mm=20)
    forecast("Pune", DAY + timedelta(days=1), rain_mm=30)

    counts = tasks.send_weather_alerts(today=DAY.isoformat())
    assert counts["alerts"] == 1
    with sessions() as db:  # the seeded demo farmer lives in Nashik too, unless an earlier test removed him
        demo = db.scalar(select(Farmer.id).where(Farmer.phone == "+919876543210"))
    rows = {r.farmer_id: r for r in _sms(sessions, "weather_alert") if r.farmer_id != demo}
    assert set(rows) == {marathi, english}  # not Pune (20-30 mm), not the farmer who sent STOP
    assert rows[marathi].body.startswith("खेती सहायक हवामान इशारा, नाशिक: ")
    assert "मुसळधार पावसाची शक्यता, सुमारे 88 मिमी" in rows[marathi].body
    assert rows[english].body.startswith("Kheti Sahayak weather alert, Nashik: heavy rain likely on 11 January, "
                                         "about 88 mm.")  # the month in full
    assert all(r.status == "sent" and r.category == "service_implicit" and r.template_id for r in rows.values())

    # The next morning the same storm is "today": it is not announced again.
    assert tasks.send_weather_alerts(today=(DAY + timedelta(days=1)).isoformat())["alerts"] == 0
    assert len([r for r in _sms(sessions, "weather_alert") if r.farmer_id != demo]) == 2


def test_a_heat_wave_makes_a_heat_alert(sessions, register_farmer, forecast, tasks):
    register_farmer(phone="+919800000021", locale="hi", district="Nashik")
    forecast("Nashik", DAY, temp_max_c=46.2)
    assert tasks.send_weather_alerts(today=DAY.isoformat())["alerts"] == 1
    [row] = _sms(sessions, "weather_alert")
    assert "46°C" in row.body and "लू" in row.body


def test_ordinary_weather_sends_nothing(sessions, register_farmer, forecast, tasks):
    register_farmer(phone="+919800000031", locale="en", district="Nashik")
    forecast("Nashik", DAY, rain_mm=64.4, temp_max_c=44.9)  # just under both thresholds
    assert tasks.send_weather_alerts(today=DAY.isoformat())["alerts"] == 0
    assert _sms(sessions, "weather_alert") == []


def test_crop_stage_advice_goes_once_per_stage_and_again_at_the_next(sessions, register_farmer, clock, tasks):
    sown = date(2026, 6, 20)
    farmer_id = register_farmer(phone="+919800000041", locale="mr", crops=("soybean",), sown={"soybean": sown})
    register_farmer(phone="+919800000042", locale="en", crops=("soybean",))  # no sowing date: nothing to time
    first = tasks.send_stage_advisories(today="2026-07-15")
    assert first["messages"] == 1 and first["queued_today"] == 1
    [row] = _sms(sessions, "stage_advisory")
    assert row.farmer_id == farmer_id and row.body.startswith("खेती सहायक: तुमच्या सोयाबीन पिकाची सध्याची अवस्था: वाढ.")
    assert row.category == "service_explicit" and row.status == "sent"
    assert tasks.send_stage_advisories(today="2026-07-16")["queued_today"] == 0  # same stage: nothing more
    with sessions() as db:  # and no empty broadcast for a morning with nothing to say
        assert db.scalar(select(Broadcast.id).where(Broadcast.key == "stage:2026-07-16")) is None

    with sessions() as db:
        crop = db.scalar(select(FarmerCrop).where(FarmerCrop.farmer_id == farmer_id)).crop
        stage_now = crop.stage_on(sown, date(2026, 7, 15))
        next_day = next(sown + timedelta(days=s["from_day"]) for s in crop.stages
                        if sown + timedelta(days=s["from_day"]) > date(2026, 7, 15))
    assert tasks.send_stage_advisories(today=next_day.isoformat())["queued_today"] == 1
    rows = _sms(sessions, "stage_advisory")
    assert len(rows) == 2 and rows[0].idempotency_key.split(":")[3] == stage_now != rows[1].idempotency_key.split(":")[3]
    with sessions() as db:
        assert db.scalar(select(Broadcast.kind).where(Broadcast.key == f"stage:{next_day.isoformat()}")) == \
            "stage_advisory"
