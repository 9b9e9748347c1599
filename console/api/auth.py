"""Who is calling the API: `Authorization: Bearer <key>`, an operator's API key (acting with that operator's role;
refused at once when revoked or the operator disabled) or ADMIN_API_KEY, the bootstrap admin key that is nobody's
own. Every route declares the role it needs, as the console's views do."""
from __future__ import annotations

import functools
import hmac

from flask import abort, current_app, g, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from farmdb.models import Operator
from service import audit
from service.context import Service
from service.operators import key_owner, may

def service() -> Service:
    return current_app.extensions["kheti"]


def _bearer() -> str:
    given = request.headers.get("Authorization", "")
    return given[7:].strip() if given.startswith("Bearer ") else ""


def rate() -> str:
    """Per key, API_RATE_PER_MINUTE: enough for a dashboard or a script, not for a crawler."""
    return f"{service().settings.api_rate_per_minute} per minute"


def rate_key() -> str:
    """What the rate limit counts by: the key's public prefix (never the key), else the address."""
    key = _bearer()
    return f"key:{key[:15]}" if key else f"addr:{request.remote_addr}"


def authenticate() -> None:
    if request.endpoint in (None, "api.openapi", "api.docs", "api.swagger_asset"):
        return  # the description of the API is public; unknown paths 404 as usual
    key = _bearer()
    bootstrap = service().settings.admin_api_key
    if key and bootstrap and hmac.compare_digest(key.encode(), bootstrap.encode()):
        g.api_operator_id, g.api_actor, g.api_role = None, audit.BOOTSTRAP, "admin"
        return
    if key:
        with service().backends.sessions() as db, db.begin():
            found = key_owner(db, key)
            if found is not None:
                operator, _row = found
                g.api_operator_id, g.api_actor, g.api_role = operator.id, operator.username, operator.role
                return
    raise Unauthorized("send Authorization: Bearer <API key> (kheti operator api-key, or the console)",
                       www_authenticate=WWWAuthenticate("bearer"))


def needs(role: str):
    """The role a route needs; kept on the view so tests and the OpenAPI document can read it."""
    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            if not may(g.api_role, role):
                abort(403, description=f"this needs the {role} role")
            return view(*args, **kwargs)
        guarded.required_role = role
        return guarded
    return decorate


def public(view):
    view.required_role = None
    return view


def audited(db, action: str, target_type: str | None = None, target_id: object = None, **detail) -> None:
    operator = db.get(Operator, g.api_operator_id) if g.api_operator_id else None
    audit.record(db, operator, action, target_type=target_type, target_id=target_id, actor=g.api_actor,
                 remote_addr=request.remote_addr, via="api", **detail)
