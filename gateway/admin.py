"""The admin API, for operators' tools and dashboards: broadcasts. JSON in and out, `Authorization: Bearer
<ADMIN_API_KEY>` on every request (compared in constant time); with no key configured it refuses everything.

    POST /api/broadcasts       {"advisory_id": 15, "crop": "cotton", "district": "Nashik", "state": "Maharashtra",
                                "locale": "mr", "category": "service_explicit", "preview": true}
                               preview: 200 with recipients, segments and estimated cost per language;
                               otherwise 201 with the broadcast's status (200 if the same broadcast existed
                               already: nobody is added twice)
    GET  /api/broadcasts/<id>  progress and totals: queued, sent, delivered, failed, cancelled, estimated cost
"""
from __future__ import annotations

import hmac
import logging

from flask import Blueprint, jsonify, request

from gateway import context, routes
from gateway.errors import error_response
from service import broadcasts
from service.broadcasts import Audience, BroadcastError

log = logging.getLogger(__name__)

_FIELDS = {"advisory_id", "crop", "district", "state", "locale", "category", "preview", "created_by"}


def blueprint() -> Blueprint:
    return routes.blueprint("admin", __name__, (
        ("POST", "/broadcasts", create_broadcast),
        ("GET", "/broadcasts/<int:broadcast_id>", broadcast_status),
    ), url_prefix="/api", before=authenticate)


def authenticate():
    key = context.settings().admin_api_key
    if not key:
        return error_response(403, "admin_api_disabled", "set ADMIN_API_KEY to use the admin API")
    given = request.headers.get("Authorization", "")
    if not given.startswith("Bearer ") or not hmac.compare_digest(given[7:].encode(), key.encode()):
        response = error_response(401, "unauthorized", "send Authorization: Bearer <ADMIN_API_KEY>")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response


def create_broadcast():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error_response(400, "bad_request", "send a JSON object")
    unknown = set(body) - _FIELDS
    if unknown:
        return error_response(400, "bad_request", f"unknown field(s): {', '.join(sorted(unknown))}")
    advisory_id = body.get("advisory_id")
    if not isinstance(advisory_id, int) or isinstance(advisory_id, bool):
        return error_response(400, "bad_request", "advisory_id (a number) is required")
    texts = {k: body.get(k) for k in ("crop", "district", "state", "locale", "category", "created_by")}
    if any(v is not None and (not isinstance(v, str) or len(v) > 64) for v in texts.values()):
        return error_response(400, "bad_request", "crop, district, state, locale, category and created_by are "
                                                  "short strings")
    category = texts["category"] or "service_explicit"
    if category not in ("service_explicit", "promotional"):
        return error_response(400, "bad_request", "category is service_explicit or promotional")
    audience = Audience(texts["crop"], texts["district"], texts["state"], texts["locale"])
    service = context.service()
    with service.backends.sessions() as db, db.begin():
        try:
            if body.get("preview"):
                _, plan, _ = broadcasts.advisory_broadcast(service, db, advisory_id, audience,
                                                           category=category, dry_run=True)
                return jsonify(plan.as_dict())
            broadcast, _, new = broadcasts.advisory_broadcast(service, db, advisory_id, audience,
                                                              category=category,
                                                              created_by=texts["created_by"] or "api")
            broadcast_id = broadcast.id
        except BroadcastError as exc:
            return error_response(400, "broadcast_refused", str(exc))
    log.info("broadcast created through the API", extra={"broadcast_id": broadcast_id})
    with service.backends.sessions() as db:
        return jsonify(broadcasts.status(db, broadcast_id)), 201 if new else 200


def broadcast_status(broadcast_id: int):
    with context.service().backends.sessions() as db:
        found = broadcasts.status(db, broadcast_id)
    if found is None:
        return error_response(404, "not_found", f"no broadcast {broadcast_id}")
    return jsonify(found)
