"""A 3-day forecast for the farmer's district with one farming hint."""
from __future__ import annotations

from dialogs.context import Ctx
from dialogs.flows.common import label
from dialogs.screens import Info
from dialogs.services import DayWeather, ServiceUnavailable
from dialogs.texts import N_

DAYS = (N_("weather.day0"), N_("weather.day1"), N_("weather.day2"))
HEAVY_RAIN_MM = 64.5  # IMD: heavy rain is 64.5 mm or more in a day
RAIN_MM = 2.5  # IMD: a "rainy day" has 2.5 mm or more
HOT_C = 40.0
WINDY_KMH = 20.0  # above this, spray drifts


def hint(today: DayWeather, tomorrow: DayWeather | None) -> str:
    """The one thing to do (or not) today; the most urgent wins."""
    if max(today.rain_mm, tomorrow.rain_mm if tomorrow else 0) >= HEAVY_RAIN_MM:
        return N_("weather.hint.heavy_rain")
    if today.rain_mm >= RAIN_MM:
        return N_("weather.hint.rain")
    if tomorrow and tomorrow.rain_mm >= RAIN_MM:
        return N_("weather.hint.rain_tomorrow")  # a spray or top dressing needs dry hours after it
    if today.temp_max_c >= HOT_C:
        return N_("weather.hint.heat")
    if today.wind_kmh is not None and today.wind_kmh >= WINDY_KMH:
        return N_("weather.hint.wind")
    return N_("weather.hint.good")


def forecast_lines(ctx: Ctx) -> list[str]:
    t = ctx.t
    district_id = ctx.profile.district_id if ctx.profile else None
    if district_id is None:
        return [t(N_("weather.no_district"))]
    try:
        days = ctx.services.forecast(district_id, days=3)
    except ServiceUnavailable:
        return [t(N_("weather.unavailable"))]
    if not days:
        return [t(N_("weather.unavailable"))]
    lines = [t(N_("weather.title"), district=label(ctx, ctx.services.district(district_id)))]
    for name, day in zip(DAYS, days):
        lines.append(t(N_("weather.line"), day=t(name), rain=_mm(day.rain_mm),
                       tmin=round(day.temp_min_c), tmax=round(day.temp_max_c)))
    lines.append(t(hint(days[0], days[1] if len(days) > 1 else None)))
    return lines


def _mm(value: float) -> str:
    return str(int(round(value))) if value >= 1 or value == 0 else "<1"


SCREENS = [
    Info("weather", body=forecast_lines, uses=(
        *DAYS, N_("weather.title"), N_("weather.line"), N_("weather.no_district"), N_("weather.unavailable"),
        N_("weather.hint.heavy_rain"), N_("weather.hint.rain"), N_("weather.hint.rain_tomorrow"),
        N_("weather.hint.heat"), N_("weather.hint.wind"),
        N_("weather.hint.good"),
    )),
]
