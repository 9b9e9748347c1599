"""Who a broadcast is for: an audience (crop and its stage, district, state, language, plan subscribers, registered
since) resolved to ids, and the farmers in it who may be reached (consent given and not withdrawn, SMS not
stopped). An audience that finds nobody says why (`why_empty`): the first condition that left no one."""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from farmdb import districts as district_rows
from farmdb.models import Crop, Farmer, FarmerCrop, State, Subscription
from farmdb.types import utcnow
from locales.languages import CODES

LAST_STAGE_DAYS = 60  # a crop is "at harvest" this long after its last stage starts, not for ever


class BroadcastError(ValueError):
    """The broadcast cannot be made as asked; str() says why, for the CLI and the API's 400."""


@dataclass(frozen=True)
class Audience:
    crop: str | None = None  # crop code or English name: "cotton"
    district: str | None = None  # English name: "Nashik"
    state: str | None = None  # English name: "Maharashtra"
    locale: str | None = None  # en | hi | mr
    stage: str | None = None  # the crop's stage by its sowing date ("flowering"); needs the crop
    subscribers: bool = False  # only farmers with a plan running now
    registered_since: date | None = None  # only farmers who gave consent on or after this day

    def as_dict(self) -> dict:
        found = {k: v for k, v in asdict(self).items() if v}
        if self.registered_since:
            found["registered_since"] = self.registered_since.isoformat()
        return found


@dataclass(frozen=True)
class Target:
    """An audience resolved to ids."""
    crop_id: int | None
    district_ids: tuple[int, ...] | None
    state_id: int | None
    locale: str | None
    sown_between: tuple[date, date] | None = None  # the stage as sowing dates, inclusive
    subscribers: bool = False
    registered_since: date | None = None
    zone: str = "UTC"  # the day registered_since starts in (TIMEZONE)


def resolve(db: Session, audience: Audience, today: date | None = None, zone: str = "UTC") -> Target:
    crop_id = state_id = None
    district_ids = None
    if audience.crop:
        crop_id = db.scalar(select(Crop.id).where(or_(Crop.code == audience.crop.strip().lower(),
                                                      func.lower(Crop.names["en"].as_string())
                                                      == audience.crop.strip().lower())))
        if crop_id is None:
            raise BroadcastError(f"unknown crop {audience.crop!r} (use a crop code such as cotton or onion)")
    if audience.state:
        state_id = db.scalar(select(State.id).where(func.lower(State.name) == audience.state.strip().lower()))
        if state_id is None:
            raise BroadcastError(f"unknown state {audience.state!r}")
    if audience.district:
        found = district_rows.called(db, audience.district, state_id=state_id)  # "Gurgaon" is Gurugram too
        if not found:
            raise BroadcastError(f"unknown district {audience.district!r}"
                                 + (f" in {audience.state}" if audience.state else ""))
        if len(found) > 1:
            raise BroadcastError(f"{audience.district} is a district in {', '.join(s for _, s in found)}: "
                                 f"name the state too")
        district_ids = (found[0][0],)
    if audience.locale and audience.locale not in CODES:
        raise BroadcastError(f"unknown language {audience.locale!r} (one of {', '.join(CODES)})")
    sown = _sown_between(db, crop_id, audience.stage, today or utcnow().date()) if audience.stage else None
    return Target(crop_id, district_ids, state_id, audience.locale, sown, audience.subscribers,
                  audience.registered_since, zone)


def _sown_between(db: Session, crop_id: int | None, stage: str, today: date) -> tuple[date, date]:
    """A stage as the sowing dates of the crops in it today: sown between `from_day` of the next stage (exclusive)
    and `from_day` of this one days ago."""
    if crop_id is None:
        raise BroadcastError("a crop stage needs the crop")
    stages = sorted(db.get(Crop, crop_id).stages, key=lambda s: s["from_day"])
    names = [s["stage"] for s in stages]
    if stage not in names:
        raise BroadcastError(f"{stage!r} is not a stage of this crop (one of {', '.join(names)})")
    at = names.index(stage)
    start = stages[at]["from_day"]
    end = stages[at + 1]["from_day"] - 1 if at + 1 < len(stages) else start + LAST_STAGE_DAYS
    return today - timedelta(days=end), today - timedelta(days=start)


def recipients(target: Target):
    """The farmers a broadcast may reach: consent given and not withdrawn, SMS not stopped, in the audience."""
    query = select(Farmer.id, Farmer.phone, Farmer.locale).where(
        Farmer.consent_given_at.is_not(None), Farmer.consent_withdrawn_at.is_(None), Farmer.sms_opted_out.is_(False))
    if target.crop_id is not None:
        query = query.where(exists().where(FarmerCrop.farmer_id == Farmer.id, FarmerCrop.crop_id == target.crop_id))
    if target.district_ids is not None:
        query = query.where(Farmer.district_id.in_(target.district_ids))
    if target.state_id is not None:
        query = query.where(Farmer.state_id == target.state_id)
    if target.locale is not None:
        query = query.where(Farmer.locale == target.locale)
    return _narrowed(query, target)


def _narrowed(query, target: Target):
    if target.sown_between is not None:
        first, last = target.sown_between
        query = query.where(exists().where(FarmerCrop.farmer_id == Farmer.id, FarmerCrop.crop_id == target.crop_id,
                                           FarmerCrop.sown_on.between(first, last)))
    if target.subscribers:
        now = utcnow()
        query = query.where(exists().where(Subscription.farmer_id == Farmer.id, Subscription.status == "active",
                                           Subscription.starts_at <= now, Subscription.ends_at > now))
    if target.registered_since is not None:
        since = datetime.combine(target.registered_since, time(), tzinfo=ZoneInfo(target.zone))
        query = query.where(Farmer.consent_given_at >= since)
    return query


def why_empty(db: Session, target: Target) -> str | None:
    """None when the audience has someone; else the first condition that left nobody, with how many there were
    before it: "none of them grows this crop (412 farmers matched the conditions before it)"."""
    steps = [
        ("consenting", Target(None, None, None, None), "no farmer has given consent and kept SMS on"),
        ("state", Target(None, None, target.state_id, None), "no such farmer in this state"),
        ("district", Target(None, target.district_ids, target.state_id, None), "no such farmer in this district"),
        ("crop", Target(target.crop_id, target.district_ids, target.state_id, None), "none of them grows this crop"),
        ("stage", Target(target.crop_id, target.district_ids, target.state_id, None, target.sown_between),
         "none of them has this crop at this stage (by the sowing date they gave)"),
        ("language", Target(target.crop_id, target.district_ids, target.state_id, target.locale,
                            target.sown_between), "none of them uses this language"),
        ("subscribers", replace(target, registered_since=None), "none of them has a plan running"),
        ("since", target, "none of them registered on or after this day"),
    ]
    before = None
    for _name, step, reason in steps:
        count = db.scalar(select(func.count()).select_from(recipients(step).subquery()))
        if count == 0:
            matched = f"{before} farmer{'s' if before != 1 else ''}"
            return reason + (f" ({matched} matched the conditions before it)" if before else "")
        before = count
    return None

