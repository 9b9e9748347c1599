"""Recurring campaigns: "every Monday at 07:00 to cotton growers in Vidarbha". A campaign row says what (an advisory,
or words in each language), to whom (an audience, as a broadcast's), on which weekdays at what local time; every few
minutes the beat makes the broadcast of each campaign that is due (key "campaign:<id>:<day>": one a day however
often it looks) and moves its next run on. A beat that was down runs a missed day once, not once per missed day.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from farmdb.models import Advisory, Campaign
from farmdb.types import utcnow
from service.broadcasts.advisories import advisory_bodies
from service.broadcasts.audience import Audience, BroadcastError, resolve
from service.broadcasts.notices import notice_bodies
from service.broadcasts.rows import create
from service.context import Service

log = logging.getLogger(__name__)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CATEGORIES = ("service_explicit", "promotional")


def weekdays_of(raw: str | list[str]) -> str:
    """'Mon, thu' or ["mon", "thu"] -> "mon,thu" (in week order); BroadcastError for anything else."""
    given = raw.replace(" ", "").lower().split(",") if isinstance(raw, str) else [d.lower() for d in raw]
    days = [d for d in given if d]
    if not days or any(d not in WEEKDAYS for d in days):
        raise BroadcastError(f"weekdays are some of {', '.join(WEEKDAYS)}")
    return ",".join(d for d in WEEKDAYS if d in days)


def time_of(raw: str) -> str:
    try:
        hour, minute = (int(part) for part in raw.strip().split(":"))
        return time(hour, minute).strftime("%H:%M")
    except ValueError:
        raise BroadcastError(f"{raw!r} is not a time such as 07:00") from None


def next_run(weekdays: str, at_time: str, zone: str, after: datetime) -> datetime:
    """The first of the campaign's times strictly after `after`, in UTC."""
    tz, days = ZoneInfo(zone), {WEEKDAYS.index(d) for d in weekdays.split(",")}
    hour, minute = (int(part) for part in at_time.split(":"))
    local = after.astimezone(tz)
    for ahead in range(8):
        day = local.date() + timedelta(days=ahead)
        moment = datetime.combine(day, time(hour, minute), tzinfo=tz)
        if day.weekday() in days and moment > local:
            return moment.astimezone(ZoneInfo("UTC"))
    raise AssertionError("a week always holds one of the campaign's days")


def audience_of(campaign: Campaign) -> Audience:
    stored = dict(campaign.audience or {})
    if stored.get("registered_since"):
        stored["registered_since"] = date.fromisoformat(stored["registered_since"])
    return Audience(**stored)


def bodies_of(db: Session, advisory_id: int | None, words: dict) -> tuple[dict[str, str], Advisory | None]:
    if advisory_id is not None:
        advisory = db.get(Advisory, advisory_id)
        if advisory is None:
            raise BroadcastError(f"no advisory {advisory_id}")
        return advisory_bodies(advisory), advisory
    return notice_bodies(words), None


def make(service: Service, db: Session, *, title: str, audience: Audience, category: str, weekdays: str,
         at_time: str, advisory_id: int | None = None, words: dict | None = None, created_by: str | None = None,
         now: datetime | None = None) -> Campaign:
    """A new campaign, checked as a broadcast would be (the advisory or words, the audience), its first run set."""
    title = " ".join((title or "").split())
    if not 1 <= len(title) <= 120:
        raise BroadcastError("a campaign needs a title of at most 120 characters")
    if category not in CATEGORIES:
        raise BroadcastError(f"the category is one of {', '.join(CATEGORIES)}")
    _bodies, advisory = bodies_of(db, advisory_id, words or {})
    if advisory is not None and not audience.crop:
        audience = replace(audience, crop=advisory.crop.code)
    resolve(db, audience, zone=service.settings.timezone)  # an unknown district or stage is refused now, not at 07:00
    days, at = weekdays_of(weekdays), time_of(at_time)
    campaign = Campaign(title=title, advisory_id=advisory_id, words={} if advisory_id else dict(words or {}),
                        audience=audience.as_dict(), category=category, weekdays=days, at_time=at, active=True,
                        next_run_at=next_run(days, at, service.settings.timezone, now or utcnow()),
                        created_by=created_by)
    db.add(campaign)
    db.flush()
    return campaign


def set_active(service: Service, db: Session, campaign_id: int, active: bool, now: datetime | None = None) -> Campaign:
    campaign = db.get(Campaign, campaign_id, with_for_update=True)
    if campaign is None:
        raise LookupError(f"no campaign {campaign_id}")
    campaign.active = active
    if active:  # resumed: from the next time on, not the ones missed while paused
        campaign.next_run_at = next_run(campaign.weekdays, campaign.at_time, service.settings.timezone, now or utcnow())
    return campaign


def run_due(service: Service, now: datetime | None = None) -> dict[str, int]:
    """Make the broadcast of every campaign due now, each in its own transaction."""
    now, zone = now or utcnow(), service.settings.timezone
    counts = {"due": 0, "made": 0, "refused": 0}
    with service.backends.sessions() as db:
        ids = db.scalars(select(Campaign.id).where(Campaign.active.is_(True), Campaign.next_run_at <= now)
                         .order_by(Campaign.next_run_at)).all()
    for campaign_id in ids:
        with service.backends.sessions() as db, db.begin():
            campaign = db.scalar(select(Campaign).where(Campaign.id == campaign_id, Campaign.active.is_(True),
                                                        Campaign.next_run_at <= now)
                                 .with_for_update(skip_locked=True))
            if campaign is None:
                continue  # another beat took it, or it was paused meanwhile
            counts["due"] += 1
            day = now.astimezone(ZoneInfo(zone)).date()  # the day it runs: a missed Monday made on Tuesday is Tuesday's
            try:
                with db.begin_nested():
                    bodies, _advisory = bodies_of(db, campaign.advisory_id, campaign.words)
                    broadcast, _plan, _new = create(
                        service, db, key=f"campaign:{campaign.id}:{day.isoformat()}",
                        kind="advisory" if campaign.advisory_id else "notice", category=campaign.category,
                        audience=audience_of(campaign), bodies=bodies,
                        purpose="advisory" if campaign.advisory_id else "notice", advisory_id=campaign.advisory_id,
                        created_by=f"campaign:{campaign.id}", title=f"{campaign.title} ({day:%d %b})", now=now)
                campaign.last_broadcast_id, campaign.last_error = broadcast.id, None
                counts["made"] += 1
            except BroadcastError as exc:  # nobody in the audience this week, a text DLT would drop: said, not lost
                campaign.last_error = str(exc)
                counts["refused"] += 1
                log.warning("campaign made no broadcast: %s", exc, extra={"campaign_id": campaign.id})
            campaign.last_run_at = now
            campaign.next_run_at = next_run(campaign.weekdays, campaign.at_time, zone, now)
    return counts
