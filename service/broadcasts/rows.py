"""Making a broadcast: one body per language -> outbox rows inserted in bulk by one INSERT ... SELECT per language
(idempotency key per broadcast and farmer: creating the same broadcast again adds nobody twice) -> after the
commit, dispatched to the sms.bulk queue in chunks (workers.broadcasts). Messages written for each farmer (crop-stage
advice) go in bulk under their own keys."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Mapping

from sqlalchemy import String, cast, func, literal, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dialogs.encoding import measure
from farmdb.db import after_commit
from farmdb.models import Broadcast, Farmer, OutboundMessage
from farmdb.types import utcnow
from service import dlt
from service.broadcasts.audience import Audience, BroadcastError, Target, recipients, resolve, why_empty
from service.broadcasts.estimate import LanguagePreview, Preview, preview
from service.context import Service
from service.outbox import estimated_cost
from service.send_windows import next_send_time
from service.settings import Settings


def create(service: Service, db: Session, *, key: str, kind: str, category: str, audience: Audience,
           bodies: Mapping[str, str], purpose: str, advisory_id: int | None = None, created_by: str | None = None,
           title: str | None = None, scheduled_for: datetime | None = None,
           now: datetime | None = None) -> tuple[Broadcast, Preview, bool]:
    """Create (or find: the third value says it is new) the broadcast and its outbox rows; dispatching starts after
    the caller commits. Refused with BroadcastError when a language's text would be dropped (DLT) or the audience
    is empty. Scheduled for later, its rows are made now (the audience as it is now) and wait till then, or till
    the send window opens after it: the outbox sweeper releases them."""
    now, settings = now or utcnow(), service.settings
    target = resolve(db, audience, zone=settings.timezone)
    plan = preview(service, db, target, bodies, category)
    if plan.problems:
        raise BroadcastError("; ".join(plan.problems))
    if plan.recipients == 0:
        raise BroadcastError("nobody to send to: " + (why_empty(db, target) or "no consenting farmer"))
    if scheduled_for is not None and scheduled_for <= now:
        scheduled_for = None  # "at 10:00" said at 10:01 is now
    found = db.scalar(select(Broadcast).where(Broadcast.key == key))
    if found is not None and found.cancelled_at is not None:
        raise BroadcastError("this broadcast was cancelled: compose a new one to send it again")
    new = found is None
    broadcast = _broadcast(db, key=key, kind=kind, category=category, audience=audience.as_dict(),
                           advisory_id=advisory_id, created_by=created_by, currency=plan.currency, title=title,
                           scheduled_for=scheduled_for)
    for language in plan.languages:
        _insert_rows(db, settings, broadcast, target, language, purpose, now)
    _count_and_dispatch(service, db, broadcast)
    return broadcast, plan, new


def _broadcast(db: Session, **fields) -> Broadcast:
    broadcast = db.scalar(select(Broadcast).where(Broadcast.key == fields["key"]))
    if broadcast is None:
        try:
            with db.begin_nested():  # a twin submitted at the same moment may insert the same key first
                broadcast = Broadcast(status="queued", **fields)
                db.add(broadcast)
        except IntegrityError:
            broadcast = db.scalar(select(Broadcast).where(Broadcast.key == fields["key"]))
    return broadcast


def _count_and_dispatch(service: Service, db: Session, broadcast: Broadcast) -> None:
    totals = db.execute(select(func.count(), func.coalesce(func.sum(OutboundMessage.segments), 0),
                               func.sum(OutboundMessage.estimated_cost))
                        .where(OutboundMessage.broadcast_id == broadcast.id)).one()
    broadcast.recipients, broadcast.segments, broadcast.estimated_cost = totals[0], totals[1], totals[2]
    broadcast_id = broadcast.id
    after_commit(db, lambda: service.tasks.dispatch_broadcast(broadcast_id))


@dataclass(frozen=True)
class Personal:
    """One message of a broadcast whose text differs per farmer (a crop-stage advisory)."""
    idempotency_key: str
    farmer_id: int
    phone: str
    locale: str
    body: str


def create_personal(service: Service, db: Session, *, key: str, kind: str, category: str, purpose: str,
                    messages: list[Personal], now: datetime | None = None) -> tuple[Broadcast | None, list[str]]:
    """A broadcast of individually written messages, inserted in bulk under their own idempotency keys (so a
    message already sent under an earlier broadcast is not sent again). Returns the broadcast (None if there was
    nothing to send) and the problems: messages DLT would drop are left out and named."""
    now, settings = now or utcnow(), service.settings
    header, problems, rows, templates = service.dlt_header(), [], [], {}
    send_after = next_send_time(settings.send_windows, category, "", now, settings.timezone)
    for message in _not_yet_queued(db, messages):
        if message.body not in templates:
            templates[message.body] = service.templates.match(db, message.body, category, header)
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
    _count_and_dispatch(service, db, broadcast)
    return broadcast, problems


def _insert_rows(db: Session, settings: Settings, broadcast: Broadcast, target: Target, language: LanguagePreview,
                 purpose: str, now: datetime) -> None:
    """One INSERT ... SELECT for every farmer of this language; a farmer already in the broadcast is skipped. Rows of
    a broadcast scheduled for later wait till then (or the window after it)."""
    # The window opens at the same moment for everyone in one time zone: compute it once, for TIMEZONE.
    start = broadcast.scheduled_for or now
    send_after = next_send_time(settings.send_windows, broadcast.category, "", start, settings.timezone)
    if send_after is None and broadcast.scheduled_for is not None:
        send_after = broadcast.scheduled_for
    farmers = recipients(replace(target, locale=language.locale))
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
    """INSERT ... ON CONFLICT DO NOTHING in the session's own dialect."""
    return postgresql_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
