"""Who a broadcast is for: an audience (crop, district, state, language) resolved to ids, and the farmers in it who
may be reached (consent given and not withdrawn, SMS not stopped)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from farmdb import districts as district_rows
from farmdb.models import Crop, Farmer, FarmerCrop, State
from locales.languages import CODES


class BroadcastError(ValueError):
    """The broadcast cannot be made as asked; str() says why, for the CLI and the API's 400."""


@dataclass(frozen=True)
class Audience:
    crop: str | None = None  # crop code or English name: "cotton"
    district: str | None = None  # English name: "Nashik"
    state: str | None = None  # English name: "Maharashtra"
    locale: str | None = None  # en | hi | mr

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v}


@dataclass(frozen=True)
class Target:
    """An audience resolved to ids."""
    crop_id: int | None
    district_ids: tuple[int, ...] | None
    state_id: int | None
    locale: str | None


def resolve(db: Session, audience: Audience) -> Target:
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
    return Target(crop_id, district_ids, state_id, audience.locale)


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
    return query
