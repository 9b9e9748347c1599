"""Open-Meteo forecasts, intercepted at the HTTP layer: the exact request, the cache, and failing fast."""
import time
from datetime import date

import pytest
import requests
import responses

from dialogs.services import ServiceUnavailable
from service.reference import Place
from service.weather import OPEN_METEO_URL, OpenMeteoWeather

NASHIK = Place(337, {"en": "Nashik"}, {}, 20, 19.9973, 73.791)
TODAY = date(2026, 7, 15)

# A real answer's shape (Open-Meteo /v1/forecast, daily, timezone Asia/Kolkata).
RECORDED = {
    "latitude": 20.0, "longitude": 73.75, "generationtime_ms": 0.08, "utc_offset_seconds": 19800,
    "timezone": "Asia/Kolkata", "timezone_abbreviation": "GMT+5:30", "elevation": 584.0,
    "daily_units": {"time": "iso8601", "precipitation_sum": "mm", "temperature_2m_max": "°C",
                    "temperature_2m_min": "°C", "wind_speed_10m_max": "km/h"},
    "daily": {"time": ["2026-07-15", "2026-07-16", "2026-07-17"], "precipitation_sum": [12.4, 71.3, 3.0],
              "temperature_2m_max": [29.1, 27.5, 28.8], "temperature_2m_min": [22.0, 21.6, 21.9],
              "wind_speed_10m_max": [18.7, 24.1, 15.2]},
}


@pytest.fixture
def weather(redis_client):
    return OpenMeteoWeather(redis_client, "Asia/Kolkata")


@responses.activate
def test_the_request_and_the_answer(weather):
    responses.get(OPEN_METEO_URL, json=RECORDED)
    days = weather.forecast(NASHIK, TODAY, 3)
    [call] = responses.calls
    assert call.request.params == {
        "latitude": "19.9973", "longitude": "73.791", "forecast_days": "3", "timezone": "Asia/Kolkata",
        "daily": "precipitation_sum,temperature_2m_max,temperature_2m_min,wind_speed_10m_max",
    }
    assert [(d.day, d.rain_mm, d.temp_min_c, d.temp_max_c, d.wind_kmh) for d in days] == [
        (date(2026, 7, 15), 12.4, 22.0, 29.1, 18.7), (date(2026, 7, 16), 71.3, 21.6, 27.5, 24.1),
        (date(2026, 7, 17), 3.0, 21.9, 28.8, 15.2)]


@responses.activate
def test_an_answer_is_cached_for_an_hour(weather, redis_client):
    responses.get(OPEN_METEO_URL, json=RECORDED)
    weather.forecast(NASHIK, TODAY, 3)
    weather.forecast(NASHIK, TODAY, 2)
    assert len(responses.calls) == 1
    assert 3500 < redis_client.ttl("weather:337:2026-07-15") <= 3600


@pytest.mark.parametrize("failure", [
    {"status": 500, "body": "Internal Server Error"},
    {"status": 429, "json": {"error": True, "reason": "Too many requests"}},
    {"body": requests.ConnectTimeout("timed out")},
    {"json": {"daily": {"time": ["2026-07-15"], "precipitation_sum": [None], "temperature_2m_max": [None],
                        "temperature_2m_min": [None]}}},
    {"body": "<html>not json</html>"},
])
@responses.activate
def test_a_failure_is_unavailable_and_not_retried_for_a_minute(weather, failure):
    responses.get(OPEN_METEO_URL, **failure)
    with pytest.raises(ServiceUnavailable):
        weather.forecast(NASHIK, TODAY, 3)
    started = time.perf_counter()
    with pytest.raises(ServiceUnavailable):
        weather.forecast(NASHIK, TODAY, 3)  # straight away, without asking the API again
    assert time.perf_counter() - started < 0.05
    assert len(responses.calls) == 1


def test_a_district_without_coordinates_has_no_forecast(weather):
    with pytest.raises(ServiceUnavailable):
        weather.forecast(Place(1, {"en": "Nowhere"}, {}, 1, None, None), TODAY, 3)


@responses.activate
def test_the_weather_screen_on_open_meteo(settings, backends, register_farmer):
    from dataclasses import replace

    from gateway import create_app
    from simulator.ussd import UssdPhone
    from tests.conftest import SEED_DAY
    responses.get(OPEN_METEO_URL, json=RECORDED)
    register_farmer()
    app = create_app(replace(settings, weather_provider="open-meteo"), backends=backends, today=lambda: SEED_DAY)
    client = app.test_client()
    phone = UssdPhone(post=lambda form: (200, client.post("/africastalking/ussd", data=form).get_data(as_text=True)),
                      phone="+919812345678")
    phone.dial()
    assert phone.press("1").splitlines()[:5] == [
        "Weather, Nashik:", "Today: rain 12mm, 22-29C", "Tomorrow: rain 71mm, 22-28C", "Day after: rain 3mm, 22-29C",
        "Heavy rain due: clear field drains, hold fertiliser."]
