"""Broadcasts: one text to many farmers, each in their own language.

audience (crop, district, state, language) -> the consenting, not opted-out farmers in it -> one body per language
-> a preview (recipients, segments, estimated cost, the DLT template each body matches) -> outbox rows inserted in
bulk by one INSERT ... SELECT per language (idempotency key per broadcast and farmer: creating the same broadcast
again adds nobody twice) -> after the commit, dispatched to the sms.bulk queue in chunks.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Mapping

from sqlalchemy import String, case, cast, exists, func, literal, or_, select, update
from sqlalchemy.orm import Session

from dialogs.texts import LANGUAGES, N_, texts
from farmdb.db import after_commit
from farmdb.models import Advisory, Broadcast, Crop, District, Farmer, FarmerCrop, OutboundMessage, State
from farmdb.types import utcnow
from gateway.settings import Settings
from workers import dlt, runtime
from workers.celery_app import celery
from workers.outbox import dlt_header, estimated_cost
from workers.send_windows import next_send_time
from workers.sms_encoding import measure

CHUNK = 500  # rows per send_bulk task: big enough to amortise a transaction, small enough to retry cheaply
KINDS = ("advisory", "weather_alert", "stage_advisory")


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
        query = select(District.id, State.name).join(State).where(
            func.lower(District.name) == audience.district.strip().lower())
        if state_id is not None:
            query = query.where(District.state_id == state_id)
        found = db.execute(query).all()
        if not found:
            raise BroadcastError(f"unknown district {audience.district!r}"
                                 + (f" in {audience.state}" if audience.state else ""))
        if len(found) > 1:
            raise BroadcastError(f"{audience.district} is a district in {', '.join(s for _, s in found)}: "
                                 f"name the state too")
        district_ids = (found[0][0],)
    if audience.locale and audience.locale not in LANGUAGES:
        raise BroadcastError(f"unknown language {audience.locale!r} (one of {', '.join(LANGUAGES)})")
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


@dataclass
class LanguagePreview:
    locale: str
    recipients: int
    indian_recipients: int
    body: str
    encoding: str
    segments: int  # per message
    estimated_cost: Decimal
    template_id: str | None
    dlt_entity_id: str | None
    problem: str | None = None


@dataclass
class Preview:
    languages: list[LanguagePreview] = field(default_factory=list)
    currency: str = "INR"

    @property
    def recipients(self) -> int:
        return sum(p.recipients for p in self.languages)

    @property
    def segments(self) -> int:
        return sum(p.recipients * p.segments for p in self.languages)

    @property
    def estimated_cost(self) -> Decimal:
        return sum((p.estimated_cost for p in self.languages), Decimal(0))

    @property
    def problems(self) -> list[str]:
        return [f"{p.locale}: {p.problem}" for p in self.languages if p.problem]

    def as_dict(self) -> dict:
        return {"recipients": self.recipients, "segments": self.segments,
                "estimated_cost": str(self.estimated_cost), "currency": self.currency, "problems": self.problems,
                "languages": [{**asdict(p), "estimated_cost": str(p.estimated_cost)} for p in self.languages]}


def preview(db: Session, settings: Settings, target: Target, bodies: Mapping[str, str], category: str) -> Preview:
    counts = db.execute(
        select(Farmer.locale, func.count(), func.sum(case((Farmer.phone.like("+91%"), 1), else_=0)))
        .where(Farmer.id.in_(recipients(target).with_only_columns(Farmer.id).scalar_subquery()))
        .group_by(Farmer.locale)).all()
    result = Preview(currency=settings.sms_segment_price.currency)
    for locale, count, indian in sorted(counts):
        body = bodies.get(locale)
        if body is None:
            result.languages.append(LanguagePreview(locale, count, indian or 0, "", "", 0, Decimal(0), None, None,
                                                    problem="no text in this language"))
            continue
        length = measure(body)
        template = dlt.book.match(db, body, category, dlt_header(settings))
        problem = dlt.refusal(category, dlt_header(settings)) if indian and template is None else None
        result.languages.append(LanguagePreview(
            locale, count, indian or 0, body, length.encoding, length.segments,
            estimated_cost(settings, length.segments) * count, template and template.template_id,
            template and template.entity_id, problem))
    return result


def create(db: Session, settings: Settings, *, key: str, kind: str, category: str, audience: Audience,
           bodies: Mapping[str, str], purpose: str, advisory_id: int | None = None, created_by: str | None = None,
           now: datetime | None = None) -> tuple[Broadcast, Preview, bool]:
    """Create (or find: the third value says it is new) the broadcast and its outbox rows; dispatching starts after
    the caller commits. Refused with BroadcastError when a language's text would be dropped (DLT) or the audience
    is empty."""
    now = now or utcnow()
    target = resolve(db, audience)
    plan = preview(db, settings, target, bodies, category)
    if plan.problems:
        raise BroadcastError("; ".join(plan.problems))
    if plan.recipients == 0:
        raise BroadcastError("no consenting farmer in this audience")
    new = db.scalar(select(Broadcast.id).where(Broadcast.key == key)) is None
    broadcast = _broadcast(db, key=key, kind=kind, category=category, audience=audience.as_dict(),
                           advisory_id=advisory_id, created_by=created_by, currency=plan.currency)
    for language in plan.languages:
        _insert_rows(db, settings, broadcast, target, language, purpose, now)
    _count_and_dispatch(db, broadcast)
    return broadcast, plan, new


def _broadcast(db: Session, **fields) -> Broadcast:
    broadcast = db.scalar(select(Broadcast).where(Broadcast.key == fields["key"]))
    if broadcast is None:
        broadcast = Broadcast(status="queued", **fields)
        db.add(broadcast)
        db.flush()
    return broadcast


def _count_and_dispatch(db: Session, broadcast: Broadcast) -> None:
    totals = db.execute(select(func.count(), func.coalesce(func.sum(OutboundMessage.segments), 0),
                               func.sum(OutboundMessage.estimated_cost))
                        .where(OutboundMessage.broadcast_id == broadcast.id)).one()
    broadcast.recipients, broadcast.segments, broadcast.estimated_cost = totals[0], totals[1], totals[2]
    broadcast_id = broadcast.id
    after_commit(db, lambda: dispatch_broadcast.delay(broadcast_id))


@dataclass(frozen=True)
class Personal:
    """One message of a broadcast whose text differs per farmer (a crop-stage advisory)."""
    idempotency_key: str
    farmer_id: int
    phone: str
    locale: str
    body: str


def create_personal(db: Session, settings: Settings, *, key: str, kind: str, category: str, purpose: str,
                    messages: list[Personal], now: datetime | None = None) -> tuple[Broadcast | None, list[str]]:
    """A broadcast of individually written messages, inserted in bulk under their own idempotency keys (so a
    message already sent under an earlier broadcast is not sent again). Returns the broadcast (None if there was
    nothing to send) and the problems: messages DLT would drop are left out and named."""
    now = now or utcnow()
    header, problems, rows, templates = dlt_header(settings), [], [], {}
    send_after = next_send_time(settings.send_windows, category, "", now, settings.timezone)
    for message in _not_yet_queued(db, messages):
        if message.body not in templates:
            templates[message.body] = dlt.book.match(db, message.body, category, header)
        template = templates[message.body]
        if template is None and dlt.needs_template(message.phone):
            problems.append(f"{message.idempotency_key}: {dlt.refusal(category, header)}")
            continue
        length = measure(message.body)
        rows.append({
            "idempotency_key": message.idempotency_key, "phone": message.phone, "farmer_id": message.farmer_id,
            "body": message.body, "locale": message.locale, "category": category, "purpose": purpose,
            "template_id": template and template.template_id, "dlt_entity_id": template and template.entity_id,
            "status": "queued", "encoding": length.encoding, "segments": length.segments, "attempts": 0,
            "estimated_cost": estimated_cost(settings, length.segments), "send_after": send_after,
            "created_at": now, "updated_at": now})
    if not rows:
        return None, problems
    broadcast = _broadcast(db, key=key, kind=kind, category=category, audience={}, advisory_id=None,
                           created_by="schedule", currency=settings.sms_segment_price.currency)
    for row in rows:
        row["broadcast_id"] = broadcast.id
    db.execute(_insert_for(db)(OutboundMessage.__table__).on_conflict_do_nothing(
        index_elements=["idempotency_key"]), rows)
    _count_and_dispatch(db, broadcast)
    return broadcast, problems


def _insert_rows(db: Session, settings: Settings, broadcast: Broadcast, target: Target, language: LanguagePreview,
                 purpose: str, now: datetime) -> None:
    """One INSERT ... SELECT for every farmer of this language; a farmer already in the broadcast is skipped."""
    # The window opens at the same moment for everyone in one time zone: compute it once, for TIMEZONE.
    send_after = next_send_time(settings.send_windows, broadcast.category, "", now, settings.timezone)
    farmers = recipients(Target(target.crop_id, target.district_ids, target.state_id, language.locale))
    key = literal(f"broadcast:{broadcast.id}:farmer:") + cast(Farmer.id, String)
    columns = {
        "idempotency_key": key, "phone": Farmer.phone, "farmer_id": Farmer.id, "body": literal(language.body),
        "locale": literal(language.locale), "category": literal(broadcast.category), "purpose": literal(purpose),
        "template_id": literal(language.template_id, String), "dlt_entity_id": literal(language.dlt_entity_id, String),
        "broadcast_id": literal(broadcast.id), "status": literal("queued"), "encoding": literal(language.encoding),
        "segments": literal(language.segments), "attempts": literal(0),
        "estimated_cost": literal(estimated_cost(settings, language.segments)),
        "send_after": literal(send_after, OutboundMessage.send_after.type),
        "created_at": literal(now, OutboundMessage.created_at.type),
        "updated_at": literal(now, OutboundMessage.updated_at.type),
    }
    select_rows = farmers.with_only_columns(*[c.label(name) for name, c in columns.items()])
    insert = _insert_for(db)(OutboundMessage.__table__).from_select(list(columns), select_rows)
    db.execute(insert.on_conflict_do_nothing(index_elements=["idempotency_key"]))


def _not_yet_queued(db: Session, messages: list[Personal]) -> list[Personal]:
    """The messages whose idempotency key has no outbox row yet (most mornings, nearly none of them)."""
    known: set[str] = set()
    keys = [m.idempotency_key for m in messages]
    for start in range(0, len(keys), 1000):
        known.update(db.scalars(select(OutboundMessage.idempotency_key)
                                .where(OutboundMessage.idempotency_key.in_(keys[start:start + 1000]))))
    return [m for m in messages if m.idempotency_key not in known]


def _insert_for(db: Session):
    if db.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


@celery.task(name="workers.broadcasts.dispatch_broadcast")
def dispatch_broadcast(broadcast_id: int) -> int:
    """Hand a broadcast's waiting rows to sms.bulk in chunks. Rows held for their window are left to the sweeper,
    which releases them when it opens; running this twice only publishes chunks the send tasks will find done."""
    from workers.tasks import send_bulk
    _, backends = runtime.current()
    now = utcnow()
    with backends.sessions() as db, db.begin():
        db.execute(update(Broadcast).where(Broadcast.id == broadcast_id)
                   .values(status="dispatched", dispatched_at=now, progress_at=now))
    published = 0
    with backends.sessions() as db:
        ids = db.scalars(
            select(OutboundMessage.id).where(
                OutboundMessage.broadcast_id == broadcast_id, OutboundMessage.status == "queued",
                OutboundMessage.provider_message_id.is_(None),
                or_(OutboundMessage.send_after.is_(None), OutboundMessage.send_after <= now))
            .order_by(OutboundMessage.id).execution_options(yield_per=CHUNK))
        for chunk in ids.partitions(CHUNK):
            send_bulk.delay(list(chunk), broadcast_id)
            published += len(chunk)
    return published


def status(db: Session, broadcast_id: int, now: datetime | None = None) -> dict | None:
    """Progress and totals, counted from the broadcast's outbox rows."""
    broadcast = db.get(Broadcast, broadcast_id)
    if broadcast is None:
        return None
    now = now or utcnow()
    by_status = dict(db.execute(select(OutboundMessage.status, func.count())
                                .where(OutboundMessage.broadcast_id == broadcast_id)
                                .group_by(OutboundMessage.status)).all())
    waiting = db.scalar(select(func.count()).where(
        OutboundMessage.broadcast_id == broadcast_id, OutboundMessage.status == "queued",
        OutboundMessage.send_after > now))
    cost = db.execute(select(func.sum(OutboundMessage.cost), func.max(OutboundMessage.cost_currency))
                      .where(OutboundMessage.broadcast_id == broadcast_id)).one()
    counts = {s: by_status.get(s, 0) for s in ("queued", "sending", "sent", "delivered", "undelivered", "failed",
                                               "cancelled")}
    return {
        "id": broadcast.id, "kind": broadcast.kind, "key": broadcast.key, "category": broadcast.category,
        "audience": broadcast.audience, "advisory_id": broadcast.advisory_id, "status": broadcast.status,
        "created_by": broadcast.created_by, "created_at": broadcast.created_at.isoformat(),
        "dispatched_at": broadcast.dispatched_at.isoformat() if broadcast.dispatched_at else None,
        "recipients": broadcast.recipients, "segments": broadcast.segments,
        "estimated_cost": str(broadcast.estimated_cost or 0), "currency": broadcast.currency,
        "counts": counts, "waiting_for_window": waiting,
        "finished": counts["queued"] + counts["sending"] == 0,
        "cost": str(cost[0]) if cost[0] is not None else None, "cost_currency": cost[1],
    }


# --- advisories ---------------------------------------------------------------------------------------------------

def advisory_bodies(advisory: Advisory) -> dict[str, str]:
    """The advisory in each language, in the words of the broadcast template (Devanagari for hi and mr)."""
    crop = advisory.crop
    return {locale: texts(locale, latin=False)(N_("broadcast.advisory_sms"), crop=crop.name_in(locale),
                                               text=advisory.texts.get(locale) or advisory.texts["en"])
            for locale in LANGUAGES}


def advisory_key(advisory_id: int, audience: Audience, category: str) -> str:
    """The same advisory to the same audience is the same broadcast."""
    described = json.dumps({"audience": audience.as_dict(), "category": category}, sort_keys=True)
    return f"advisory:{advisory_id}:{hashlib.sha1(described.encode()).hexdigest()[:16]}"


def advisory_broadcast(db: Session, settings: Settings, advisory_id: int, audience: Audience, *,
                       category: str = "service_explicit", created_by: str | None = None,
                       dry_run: bool = False) -> tuple[Broadcast | None, Preview, bool]:
    """The agronomist's broadcast: an advisory to an audience. The audience's crop defaults to the advisory's."""
    advisory = db.get(Advisory, advisory_id)
    if advisory is None:
        raise BroadcastError(f"no advisory {advisory_id}")
    if category == "service_implicit":
        raise BroadcastError("an advisory is service_explicit or promotional, never service_implicit")
    audience = Audience(audience.crop or advisory.crop.code, audience.district, audience.state, audience.locale)
    bodies = advisory_bodies(advisory)
    if dry_run:
        return None, preview(db, settings, resolve(db, audience), bodies, category), False
    return create(db, settings, key=advisory_key(advisory_id, audience, category), kind="advisory",
                  category=category, audience=audience, bodies=bodies, purpose="advisory",
                  advisory_id=advisory_id, created_by=created_by)
