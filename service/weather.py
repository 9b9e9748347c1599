"""District forecasts. Two providers with one method, `forecast(district, days)`:

- DemoWeather reads the seeded WeatherForecast rows (the embedded default);
- OpenMeteoWeather asks Open-Meteo's free forecast API (no key) for the district headquarters' coordinates and keeps
  the answer in Redis for an hour. A hop cannot wait on a slow API: the request times out after TIMEOUT_S, and after a
  failure the API is not asked again for BACKOFF_S, so every farmer in that minute gets "try later" at once.
"""
from __future__ import annotations

import json
import logging
from datetime import date

import redis
import requests
from sqlalchemy import Engine, select

from dialogs.services import DayWeather, ServiceUnavailable
from farmdb.models import WeatherForecast
from service.reference import Place

log = logging.getLogger(__name__)

OPEN_METEO_URL = "https://api.open-meteo.com/v1/forecast"
TIMEOUT_S = 1.5
CACHE_S = 3600
BACKOFF_S = 60


class DemoWeather:
    """The seeded forecasts, read once per district and day and kept in memory (they change only on a reseed)."""

    def __init__(self, reads: Engine):
        self._reads = reads
        self._cache: dict[tuple[int, date, int], list[DayWeather]] = {}

    def forecast(self, district: Place, today: date, days: int) -> list[DayWeather]:
        key = (district.key, today, days)
        if key not in self._cache:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = self._read(district, today, days)
        return self._cache[key]

    def _read(self, district: Place, today: date, days: int) -> list[DayWeather]:
        with self._reads.connect() as db:
            rows = db.execute(
                select(WeatherForecast.forecast_date, WeatherForecast.rain_mm, WeatherForecast.temp_min_c,
                       WeatherForecast.temp_max_c)
                .where(WeatherForecast.district_id == district.key, WeatherForecast.forecast_date >= today)
                .order_by(WeatherForecast.forecast_date).limit(days)
            ).all()
        return [DayWeather(r.forecast_date, r.rain_mm, r.temp_min_c, r.temp_max_c) for r in rows]


class OpenMeteoWeather:
    def __init__(self, cache: redis.Redis, timezone: str, http: requests.Session | None = None):
        self._cache, self._timezone = cache, timezone
        self._http = http or requests.Session()

    def forecast(self, district: Place, today: date, days: int) -> list[DayWeather]:
        if district.latitude is None:
            raise ServiceUnavailable(f"no coordinates for district {district.key}")
        key = f"weather:{district.key}:{today.isoformat()}"
        try:
            cached = self._cache.get(key)
            if cached:
                return _days(json.loads(cached))[:days]
            if self._cache.exists("weather:backoff"):
                raise ServiceUnavailable("weather API failed recently; not asking again yet")
        except redis.RedisError as exc:
            log.warning("weather cache unavailable: %s", exc)  # still try the API: the cache is an optimisation
        daily = self._fetch(district)
        try:
            self._cache.set(key, json.dumps(daily), ex=CACHE_S)
        except redis.RedisError:
            pass
        return _days(daily)[:days]

    def _fetch(self, district: Place) -> dict:
        params = {
            "latitude": round(district.latitude, 4), "longitude": round(district.longitude, 4),
            "daily": "precipitation_sum,temperature_2m_max,temperature_2m_min,wind_speed_10m_max",
            "timezone": self._timezone, "forecast_days": 3,
        }
        try:
            response = self._http.get(OPEN_METEO_URL, params=params, timeout=TIMEOUT_S)
            response.raise_for_status()
            daily = response.json()["daily"]
            _days(daily)  # reject a malformed answer here, not on a farmer's screen
            return daily
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            log.warning("weather API failed: %s: %s", type(exc).__name__, exc)
            try:
                self._cache.set("weather:backoff", 1, ex=BACKOFF_S)
            except redis.RedisError:
                pass
            raise ServiceUnavailable(str(exc)) from exc


def _days(daily: dict) -> list[DayWeather]:
    winds = daily.get("wind_speed_10m_max") or [None] * len(daily["time"])
    days = []
    for day, rain, t_max, t_min, wind in zip(daily["time"], daily["precipitation_sum"],
                                             daily["temperature_2m_max"], daily["temperature_2m_min"], winds):
        if None in (rain, t_max, t_min):
            break  # Open-Meteo sends null past the end of its model's range
        days.append(DayWeather(date.fromisoformat(day), float(rain), float(t_min), float(t_max),
                               float(wind) if wind is not None else None))
    if not days:
        raise ValueError("forecast has no complete day")
    return days


def weather_service(settings, backends):
    """The forecast source WEATHER_PROVIDER names, for the dialogs and the daily alerts alike."""
    if settings.weather_provider == "open-meteo":
        return OpenMeteoWeather(backends.redis, settings.timezone)
    return DemoWeather(backends.reads)
