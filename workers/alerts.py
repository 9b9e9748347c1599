"""Scheduled messages: the morning weather alert and crop-stage advisories (see workers.beat).

- Weather: each district where registered farmers live is checked for today and tomorrow; heavy rain
  (ALERT_HEAVY_RAIN_MM) or heat (ALERT_HEAT_C) makes one broadcast per district and day, so the same storm is
  announced once even though it is in two mornings' forecasts. Alerts are part of the service the farmer signed up
  for and cannot wait for 10:00: service implicit, yet opt-out and consent are honoured as for every broadcast.
- Crop stage: each farmer crop with a sowing date gets the advisory for the stage it is in, once per stage and
  sowing (a farmer who registers mid-season gets the current stage's advice the next morning).
"""
from __future__ import annotations

import logging
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select

from dialogs.flows.advice import STAGES
from dialogs.services import ServiceUnavailable
from dialogs.texts import N_, texts
from farmdb.models import Advisory, Crop, District, Farmer, FarmerCrop
from farmdb.types import utcnow
from locales.languages import CODES
from service.broadcasts import Audience, BroadcastError, Personal, create, create_personal
from service.reference import Place
from service.weather import weather_service
from workers.registry import ServiceTask, TaskList

log = logging.getLogger(__name__)

SEND_WEATHER_ALERTS = "workers.alerts.send_weather_alerts"
SEND_STAGE_ADVISORIES = "workers.alerts.send_stage_advisories"

TASKS = TaskList()


def local_today(timezone: str) -> date:
    return utcnow().astimezone(ZoneInfo(timezone)).date()


def _consenting():
    return (Farmer.consent_given_at.is_not(None), Farmer.consent_withdrawn_at.is_(None),
            Farmer.sms_opted_out.is_(False))


@TASKS.task(SEND_WEATHER_ALERTS)
def send_weather_alerts(task: ServiceTask, today: str | None = None) -> dict[str, int]:
    service = task.service
    settings, backends = service.settings, service.backends
    day0 = date.fromisoformat(today) if today else local_today(settings.timezone)
    weather = weather_service(settings, backends)
    with backends.sessions() as db:
        districts = db.scalars(select(District).where(District.id.in_(
            select(Farmer.district_id).where(*_consenting()).distinct())).order_by(District.id)).all()
        places = [(d, d.state.name, Place(d.id, d.names, d.romanised, d.state_id, d.latitude, d.longitude))
                  for d in districts]
    counts = {"districts": len(places), "alerts": 0, "unavailable": 0}
    for district, state, place in places:
        try:
            days = weather.forecast(place, day0, 2)
        except ServiceUnavailable:
            counts["unavailable"] += 1
            log.warning("no forecast for a district: no weather alert there today", extra={"district": place.key})
            continue
        for day in days:
            bodies = alert_bodies(district, day, settings)
            if bodies is None:
                continue
            with backends.sessions() as db, db.begin():
                try:
                    _, _, new = create(service, db, key=f"weather:{district.id}:{day.day.isoformat()}",
                                       kind="weather_alert", category="service_implicit",
                                       audience=Audience(district=district.name, state=state), bodies=bodies,
                                       purpose="weather_alert", created_by="schedule")
                    counts["alerts"] += new
                except BroadcastError as exc:
                    log.warning("weather alert not sent: %s", exc, extra={"district": district.id})
    return counts


def alert_bodies(district: District, day, settings) -> dict[str, str] | None:
    """The alert in every language, or None when the day's forecast crosses no threshold."""
    if day.rain_mm >= settings.alert_heavy_rain_mm:
        message, values = N_("alert.heavy_rain_sms"), lambda t: {"rain": t.number(round(day.rain_mm))}
    elif day.temp_max_c >= settings.alert_heat_c:
        message, values = N_("alert.heat_sms"), lambda t: {"temp": t.number(round(day.temp_max_c))}
    else:
        return None
    bodies = {}
    for locale in CODES:
        t = texts(locale, latin=False)
        bodies[locale] = t(message, district=district.name_in(locale), date=t.date(day.day), **values(t))
    return bodies


@TASKS.task(SEND_STAGE_ADVISORIES)
def send_stage_advisories(task: ServiceTask, today: str | None = None) -> dict[str, int]:
    service = task.service
    settings, backends = service.settings, service.backends
    day0 = date.fromisoformat(today) if today else local_today(settings.timezone)
    with backends.sessions() as db:
        crops = {c.id: c for c in db.scalars(select(Crop))}
        advisories = {(a.crop_id, a.stage, a.state_id): a for a in db.scalars(select(Advisory))}
        growing = db.execute(
            select(Farmer.id, Farmer.phone, Farmer.locale, Farmer.state_id, FarmerCrop.crop_id, FarmerCrop.sown_on)
            .join(FarmerCrop, FarmerCrop.farmer_id == Farmer.id)
            .where(FarmerCrop.sown_on.is_not(None), FarmerCrop.sown_on <= day0, *_consenting())).all()
        messages = []
        for farmer_id, phone, locale, state_id, crop_id, sown_on in growing:
            crop = crops[crop_id]
            stage = crop.stage_on(sown_on, day0)
            advisory = advisories.get((crop_id, stage, state_id)) or advisories.get((crop_id, stage, None))
            if advisory is None:
                continue
            t = texts(locale, latin=False)
            body = t(N_("advice.stage_sms"), crop=crop.name_in(locale), stage=t(STAGES[stage]),
                     text=advisory.texts.get(locale) or advisory.texts["en"])
            messages.append(Personal(f"stage:{farmer_id}:{crop_id}:{stage}:{sown_on.isoformat()}", farmer_id,
                                     phone, locale, body))
    with backends.sessions() as db, db.begin():
        broadcast, problems = create_personal(service, db, key=f"stage:{day0.isoformat()}", kind="stage_advisory",
                                              category="service_explicit", purpose="stage_advisory",
                                              messages=messages)
        queued = broadcast.recipients if broadcast else 0
    for problem in problems[:20]:
        log.warning("crop-stage advisory not sent: %s", problem)
    return {"farmer_crops": len(growing), "messages": len(messages), "queued_today": queued,
            "refused": len(problems)}
