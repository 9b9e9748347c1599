"""Advisory broadcasts through the API (and, for one release, at the old /api/broadcasts, where ADMIN_API_KEY
callers still find them). Preview first: how many farmers, segments and cost per language; then create."""
from __future__ import annotations

import logging

from flask import abort, g, jsonify, request
from werkzeug.exceptions import BadRequest

from console.api.auth import audited, needs, service
from console.api.inputs import MAX_ID, json_object, known_id
from service import broadcasts
from service.broadcasts import Audience, BroadcastError, manage

log = logging.getLogger(__name__)

class BroadcastRefused(BadRequest):
    name = "Broadcast Refused"  # the error's reason: "broadcast_refused", with what to change in the message


FIELDS = {"advisory_id", "crop", "district", "state", "locale", "category", "preview", "created_by"}


@needs("agronomist")
def create():
    """Preview or send an advisory broadcast.
    ---
    post:
      summary: "Preview (`preview: true`) or create an advisory broadcast to an audience"
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
    advisory_id = body.get("advisory_id")
    if not isinstance(advisory_id, int) or isinstance(advisory_id, bool) or not 1 <= advisory_id <= MAX_ID:
        abort(400, description=f"advisory_id (a number from 1 to {MAX_ID}) is required")
    texts = {k: body.get(k) for k in ("crop", "district", "state", "locale", "category", "created_by")}
    if any(v is not None and (not isinstance(v, str) or len(v) > 64) for v in texts.values()):
        abort(400, description="crop, district, state, locale, category and created_by are short strings")
    category = texts["category"] or "service_explicit"
    if category not in ("service_explicit", "promotional"):
        abort(400, description="category is service_explicit or promotional")
    audience = Audience(texts["crop"], texts["district"], texts["state"], texts["locale"])
    svc = service()
    with svc.backends.sessions() as db, db.begin():
        try:
            if body.get("preview"):
                _, plan, _ = broadcasts.advisory_broadcast(svc, db, advisory_id, audience, category=category,
                                                           dry_run=True)
                return jsonify(plan.as_dict())
            broadcast, _, new = broadcasts.advisory_broadcast(svc, db, advisory_id, audience, category=category,
                                                              created_by=texts["created_by"] or "api")
        except BroadcastError as exc:
            raise BroadcastRefused(str(exc)) from exc
        broadcast_id = broadcast.id
        if new:
            audited(db, "broadcast_sent", "broadcast", broadcast_id, advisory=advisory_id,
                    **{k: v for k, v in texts.items() if v and k != "created_by"})
    log.info("broadcast created through the API", extra={"broadcast_id": broadcast_id})
    with svc.backends.sessions() as db:
        return jsonify(broadcasts.status(db, broadcast_id)), 201 if new else 200


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
