"""Advisory broadcasts through the API (and, for one release, at the old /api/broadcasts, where ADMIN_API_KEY
callers still find them). Preview first: how many farmers, segments and cost per language; then create."""
from __future__ import annotations

import logging
from datetime import date, datetime, timezone

from flask import abort, g, jsonify, request
from werkzeug.exceptions import BadRequest

from console.api.auth import audited, needs, service
from console.api.inputs import MAX_ID, json_object, known_id
from service import broadcasts
from service.broadcasts import Audience, BroadcastError, manage

log = logging.getLogger(__name__)

class BroadcastRefused(BadRequest):
    name = "Broadcast Refused"  # the error's reason: "broadcast_refused", with what to change in the message


FIELDS = {"advisory_id", "words", "title", "crop", "stage", "district", "state", "locale", "subscribers",
          "registered_since", "category", "send_at", "preview", "created_by"}


@needs("agronomist")
def create():
    """Preview or send a broadcast: an advisory, or your own words in each language.
    ---
    post:
      summary: "Preview (`preview: true`) or create a broadcast to an audience, now or at `send_at`"
      description: "An advisory (`advisory_id`), or your own `words` in each language (put in the broadcast notice
        template)."
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/BroadcastRequest'}}}
      responses:
        200:
          description: a preview (recipients, segments and cost per language), or the broadcast that existed already
          content: {application/json: {schema: {type: object}}}
        201:
          description: the broadcast created
          content: {application/json: {schema: {$ref: '#/components/schemas/Broadcast'}}}
        400: {$ref: '#/components/responses/BadRequest'}
        401: {$ref: '#/components/responses/Unauthorized'}
        403: {$ref: '#/components/responses/Forbidden'}
    """
    body = json_object(FIELDS)
    advisory_id, words = body.get("advisory_id"), body.get("words")
    if (advisory_id is None) == (words is None):
        abort(400, description="give either advisory_id or words (the text in each language)")
    if advisory_id is not None and (not isinstance(advisory_id, int) or isinstance(advisory_id, bool)
                                    or not 1 <= advisory_id <= MAX_ID):
        abort(400, description=f"advisory_id is a number from 1 to {MAX_ID}")
    if words is not None and (not isinstance(words, dict) or not set(words) <= {"en", "hi", "mr"}
                              or not all(isinstance(v, str) for v in words.values())):
        abort(400, description="words is an object of en, hi and mr texts")
    texts = {k: body.get(k) for k in ("crop", "stage", "district", "state", "locale", "category", "created_by",
                                      "title")}
    if any(v is not None and (not isinstance(v, str) or len(v) > (120 if k == "title" else 64))
           for k, v in texts.items()):
        abort(400, description="crop, stage, district, state, locale, category and created_by are short strings, "
                               "title at most 120 characters")
    category = texts["category"] or "service_explicit"
    if category not in ("service_explicit", "promotional"):
        abort(400, description="category is service_explicit or promotional")
    subscribers = body.get("subscribers", False)
    if not isinstance(subscribers, bool):
        abort(400, description="subscribers is true or false")
    audience = Audience(texts["crop"], texts["district"], texts["state"], texts["locale"], stage=texts["stage"],
                        subscribers=subscribers, registered_since=_day(body.get("registered_since")))
    send_at = _moment(body.get("send_at"))
    svc = service()
    with svc.backends.sessions() as db, db.begin():
        try:
            if words is not None:
                bodies = broadcasts.notice_bodies(words)
                if body.get("preview"):
                    target = broadcasts.resolve(db, audience, zone=svc.settings.timezone)
                    return jsonify(broadcasts.preview(svc, db, target, bodies, category).as_dict())
                title = texts["title"] or "API broadcast"
                broadcast, _, new = broadcasts.create(
                    svc, db, key=broadcasts.notice_key(title, bodies, audience, category, send_at), kind="notice",
                    category=category, audience=audience, bodies=bodies, purpose="notice",
                    created_by=texts["created_by"] or "api", title=title, scheduled_for=send_at)
            elif body.get("preview"):
                _, plan, _ = broadcasts.advisory_broadcast(svc, db, advisory_id, audience, category=category,
                                                           dry_run=True)
                return jsonify(plan.as_dict())
            else:
                broadcast, _, new = broadcasts.advisory_broadcast(
                    svc, db, advisory_id, audience, category=category, created_by=texts["created_by"] or "api",
                    title=texts["title"], scheduled_for=send_at)
        except BroadcastError as exc:
            raise BroadcastRefused(str(exc)) from exc
        broadcast_id = broadcast.id
        if new:
            audited(db, "broadcast_sent", "broadcast", broadcast_id, advisory=advisory_id,
                    scheduled_for=send_at.isoformat() if send_at else None,
                    **{k: v for k, v in texts.items() if v and k != "created_by"})
    log.info("broadcast created through the API", extra={"broadcast_id": broadcast_id})
    with svc.backends.sessions() as db:
        return jsonify(broadcasts.status(db, broadcast_id)), 201 if new else 200


def _day(raw) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else _bad_day()
    except ValueError:
        return _bad_day()


def _bad_day():
    abort(400, description="registered_since is a day: 2026-12-05")


def _moment(raw) -> datetime | None:
    """send_at: an ISO time with its offset (2026-12-06T07:00:00+05:30)."""
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw) if isinstance(raw, str) and len(raw) <= 40 else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        abort(400, description="send_at is an ISO time with its offset: 2026-12-06T07:00:00+05:30")
    return moment.astimezone(timezone.utc)


@needs("viewer")
def status(broadcast_id: int):
    """A broadcast's progress.
    ---
    get:
      summary: Progress and totals (queued, sent, delivered, failed, cancelled, estimated cost)
      parameters:
        - {name: broadcast_id, in: path, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
      responses:
        200:
          description: the broadcast
          content: {application/json: {schema: {$ref: '#/components/schemas/Broadcast'}}}
        401: {$ref: '#/components/responses/Unauthorized'}
        404: {$ref: '#/components/responses/NotFound'}
    """
    known_id(broadcast_id, "broadcast")
    with service().backends.sessions() as db:
        found = broadcasts.status(db, broadcast_id)
    if found is None:
        abort(404, description=f"no broadcast {broadcast_id}")
    return jsonify(found)


@needs("viewer")
def list_broadcasts():
    """Broadcasts, newest first.
    ---
    get:
      summary: "One page of broadcasts, newest first, each with its state and counts by status"
      parameters:
        - page
        - name: kind
          in: query
          schema: {type: string, maxLength: 24}
          description: "advisory, notice, weather_alert, stage_advisory or price_alerts"
      responses:
        200:
          description: the page
          content: {application/json: {schema: {type: object}}}
        401: {$ref: '#/components/responses/Unauthorized'}
    """
    number = _page_number(request.args.get("page"))
    kind = (request.args.get("kind") or "")[:24] or None
    with service().backends.sessions() as db:
        rows, total = manage.page(db, page=number, per_page=PER_PAGE, kind=kind)
        items = [{"id": r["broadcast"].id, "title": r["broadcast"].title, "kind": r["broadcast"].kind,
                  "state": r["state"], "recipients": r["broadcast"].recipients, "counts": r["counts"],
                  "estimated_cost": str(r["broadcast"].estimated_cost or 0), "currency": r["broadcast"].currency,
                  "created_by": r["broadcast"].created_by, "created_at": r["broadcast"].created_at.isoformat(),
                  "scheduled_for": r["broadcast"].scheduled_for.isoformat() if r["broadcast"].scheduled_for
                  else None} for r in rows]
    return jsonify({"items": items, "page": number, "per_page": PER_PAGE, "total": total,
                    "pages": max(1, -(-total // PER_PAGE))})


@needs("agronomist")
def cancel(broadcast_id: int):
    """Cancel what has not yet gone.
    ---
    post:
      summary: "Cancel every message of a broadcast not yet handed to a provider (nothing already sent is unsaid)"
      parameters:
        - {name: broadcast_id, in: path, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
      responses:
        200:
          description: the broadcast after cancelling, with how many messages were cancelled
          content: {application/json: {schema: {$ref: '#/components/schemas/Broadcast'}}}
        401: {$ref: '#/components/responses/Unauthorized'}
        403: {$ref: '#/components/responses/Forbidden'}
        404: {$ref: '#/components/responses/NotFound'}
    """
    known_id(broadcast_id, "broadcast")
    svc = service()
    with svc.backends.sessions() as db, db.begin():
        try:
            cancelled = manage.cancel(db, broadcast_id, g.api_actor)
        except LookupError:
            abort(404, description=f"no broadcast {broadcast_id}")
        audited(db, "broadcast.cancelled", "broadcast", broadcast_id, messages_cancelled=cancelled)
    with svc.backends.sessions() as db:
        return jsonify({**broadcasts.status(db, broadcast_id), "messages_cancelled": cancelled})


PER_PAGE = 25


def _page_number(raw) -> int:
    try:
        return max(1, min(int(raw or 1), 100_000))
    except ValueError:
        abort(400, description="page is a number from 1")


ROUTES = (
    ("POST", "/broadcasts", create),
    ("GET", "/broadcasts", list_broadcasts),
    ("GET", "/broadcasts/<int:broadcast_id>", status),
    ("POST", "/broadcasts/<int:broadcast_id>/cancel", cancel),
)
