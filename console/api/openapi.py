"""The OpenAPI 3 document, made from the code: each route's path and method from the route tables, its operation
from the YAML in its view's docstring (after `---`), and the role it needs from the view itself. apispec builds it:
it is only a spec builder, so the views stay plain Flask and the document stays beside them. The shared shapes
(a farmer, a ticket, a page, an error) are below."""
from __future__ import annotations

import re
from functools import lru_cache

from apispec import APISpec
from apispec.yaml_utils import load_operations_from_docstring

PREFIX = "/api/v1"

ERROR = {"type": "object", "required": ["error", "message"],
         "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}
FARMER = {"type": "object", "required": ["id", "phone", "language", "crops", "sms_stopped"], "properties": {
    "id": {"type": "integer"}, "phone": {"type": "string", "description": "masked unless revealed"},
    "name": {"type": "string", "nullable": True}, "language": {"type": "string", "enum": ["en", "hi", "mr"]},
    "district": {"type": "string", "nullable": True}, "state": {"type": "string", "nullable": True},
    "crops": {"type": "array", "items": {"type": "string"}}, "sms_stopped": {"type": "boolean"},
    "consent_given_at": {"type": "string", "format": "date-time", "nullable": True},
    "registered_at": {"type": "string", "format": "date-time"}}}
TICKET = {"type": "object", "required": ["ticket", "kind", "channel", "status", "created_at", "overdue"],
          "properties": {
    "ticket": {"type": "string"}, "kind": {"type": "string", "enum": ["pest_report", "callback", "question"]},
    "channel": {"type": "string"}, "status": {"type": "string", "enum": ["open", "assigned", "answered", "closed"]},
    "farmer_id": {"type": "integer", "nullable": True}, "farmer_name": {"type": "string", "nullable": True},
    "district": {"type": "string", "nullable": True}, "language": {"type": "string", "nullable": True},
    "crop": {"type": "string", "nullable": True}, "description": {"type": "string", "nullable": True},
    "has_recording": {"type": "boolean"}, "created_at": {"type": "string", "format": "date-time"},
    "waited_minutes": {"type": "integer"}, "promised_minutes": {"type": "integer"}, "overdue": {"type": "boolean"},
    "assigned_to": {"type": "string", "nullable": True}, "answer": {"type": "string", "nullable": True},
    "answered_at": {"type": "string", "format": "date-time", "nullable": True},
    "outcome": {"type": "string", "nullable": True}}}
BROADCAST_REQUEST = {"type": "object", "additionalProperties": False, "properties": {
    "advisory_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
    "words": {"type": "object", "additionalProperties": False, "description": "the text in each language (instead of "
              "an advisory), in the broadcast notice template", "properties": {
                  code: {"type": "string", "maxLength": 300} for code in ("en", "hi", "mr")}},
    "title": {"type": "string", "maxLength": 120}, "stage": {"type": "string", "maxLength": 64},
    "subscribers": {"type": "boolean"}, "registered_since": {"type": "string", "format": "date"},
    "send_at": {"type": "string", "format": "date-time"}, "crop": {"type": "string", "maxLength": 64},
    "district": {"type": "string", "maxLength": 64}, "state": {"type": "string", "maxLength": 64},
    "locale": {"type": "string", "maxLength": 64}, "created_by": {"type": "string", "maxLength": 64},
    "category": {"type": "string", "enum": ["service_explicit", "promotional"]}, "preview": {"type": "boolean"}}}
BROADCAST = {"type": "object", "required": ["id", "status", "recipients", "counts"], "properties": {
    "id": {"type": "integer"}, "status": {"type": "string"}, "recipients": {"type": "integer"},
    "counts": {"type": "object", "additionalProperties": {"type": "integer"}}}}
RESPONSES = {"BadRequest": "the request is wrong; `message` says how", "Unauthorized": "no valid API key",
             "Forbidden": "the key's operator has too small a role", "NotFound": "no such thing",
             "Conflict": "refused as things stand (a closed ticket, a colleague's)",
             "TooManyRequests": "over the key's rate; wait Retry-After seconds"}


def _page(item: str) -> dict:
    return {"type": "object", "required": ["items", "page", "per_page", "total", "pages"], "properties": {
        "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
        "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"},
        "pages": {"type": "integer"}}}


def _path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


@lru_cache(maxsize=1)
def document(routes: tuple) -> dict:
    spec = APISpec(title="Kheti Sahayak API", version="1", openapi_version="3.0.3",
                   info={"description": "Farmers, the expert desk and broadcasts, for operators' tools. Every "
                                        "request sends `Authorization: Bearer <API key>`; each key acts with its "
                                        "operator's role (viewer < agronomist < admin)."},
                   servers=[{"url": PREFIX}], security=[{"apiKey": []}])
    spec.components.security_scheme("apiKey", {"type": "http", "scheme": "bearer"})
    for name, schema in (("Error", ERROR), ("Farmer", FARMER), ("Ticket", TICKET), ("Broadcast", BROADCAST),
                         ("BroadcastRequest", BROADCAST_REQUEST), ("FarmerPage", _page("Farmer")),
                         ("TicketPage", _page("Ticket"))):
        spec.components.schema(name, schema)
    for name, description in RESPONSES.items():
        spec.components.response(name, {"description": description, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
    spec.components.parameter("page", "query", {"schema": {"type": "integer", "minimum": 1, "maximum": 100000,
                                                           "default": 1}})
    spec.components.parameter("per_page", "query", {"schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                                               "default": 25}})
    paths: dict[str, dict] = {}
    for method, rule, view in routes:
        operations = load_operations_from_docstring(view.__doc__ or "")
        operation = operations.get(method.lower())
        if operation is None:
            raise ValueError(f"{method} {rule}: its view's docstring describes no {method.lower()} operation")
        role = getattr(view, "required_role", None)
        if role:
            operation["description"] = (operation.get("description", "") + f" Needs the {role} role.").strip()
        paths.setdefault(_path(rule), {})[method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
