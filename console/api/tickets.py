"""The expert desk through the API: list, claim, answer by SMS, close. The same rules as the console's desk
(service.tickets), and the same audit log."""
from __future__ import annotations

from flask import abort, g, jsonify, request

from console.api.auth import audited, needs, service
from console.api.inputs import json_object, page_args, page_json
from console.pages import page_of
from farmdb.models import ExpertRequest, Operator
from farmdb.models.requests import OUTCOMES, REQUEST_KINDS
from service import tickets

STATUSES = ("open", "answered", "closed", "all")


def as_json(ticket: ExpertRequest) -> dict:
    waited = tickets.waiting(ticket)
    farmer = ticket.farmer
    return {"ticket": ticket.ticket, "kind": ticket.kind, "channel": ticket.channel, "status": ticket.status,
            "farmer_id": ticket.farmer_id, "farmer_name": farmer.name if farmer else None,
            "district": farmer.district.name if farmer and farmer.district else None,
            "language": farmer.locale if farmer else None, "crop": ticket.crop.code if ticket.crop else None,
            "description": ticket.description, "has_recording": bool(ticket.recording_url),
            "created_at": ticket.created_at.isoformat(), "waited_minutes": int(waited.since.total_seconds() // 60),
            "promised_minutes": int(waited.promised.total_seconds() // 60),
            "overdue": waited.overdue and ticket.status in tickets.OPEN,
            "assigned_to": ticket.assigned_to.username if ticket.assigned_to else None, "answer": ticket.answer,
            "answered_at": ticket.answered_at.isoformat() if ticket.answered_at else None,
            "outcome": ticket.outcome}


@needs("viewer")
def list_tickets():
    """The desk's queue.
    ---
    get:
      summary: Farmers' requests, the longest wait first
      parameters:
        - {name: status, in: query, schema: {type: string, enum: [open, answered, closed, all], default: open}}
        - {name: kind, in: query, schema: {type: string, enum: [pest_report, callback, question]}}
        - page
        - per_page
      responses:
        200:
          description: a page of tickets
          content: {application/json: {schema: {$ref: '#/components/schemas/TicketPage'}}}
        400: {$ref: '#/components/responses/BadRequest'}
        401: {$ref: '#/components/responses/Unauthorized'}
    """
    number, per_page = page_args()
    status, kind = request.args.get("status", "open"), request.args.get("kind") or None
    if status not in STATUSES or (kind is not None and kind not in REQUEST_KINDS):
        abort(400, description=f"status is one of {', '.join(STATUSES)}; kind one of {', '.join(REQUEST_KINDS)}")
    with service().backends.sessions() as db:
        page = page_of(db, tickets.queue(status, kind), number, per_page)
        return jsonify(page_json(page, [as_json(t) for t in page.items]))


def _act(number: str, act, action: str):
    svc = service()
    try:
        with svc.backends.sessions() as db, db.begin():
            found = tickets.find(db, number, lock=True)
            if found is None:
                abort(404, description=f"no ticket {number}")
            if g.api_operator_id is None:
                abort(403, description="the bootstrap ADMIN_API_KEY is nobody: use an operator's key to work tickets")
            detail = act(svc, db, found, db.get(Operator, g.api_operator_id)) or {}
            audited(db, action, "ticket", found.ticket, **detail)
    except tickets.TicketError as problem:
        abort(409, description=str(problem))
    with svc.backends.sessions() as db:
        return jsonify(as_json(tickets.find(db, number)))


_ACT_RESPONSES = """
  parameters:
    - {name: number, in: path, required: true, schema: {type: string, maxLength: 12}}
  responses:
    200:
      description: the ticket as it is now
      content: {application/json: {schema: {$ref: '#/components/schemas/Ticket'}}}
    400: {$ref: '#/components/responses/BadRequest'}
    401: {$ref: '#/components/responses/Unauthorized'}
    403: {$ref: '#/components/responses/Forbidden'}
    404: {$ref: '#/components/responses/NotFound'}
    409: {$ref: '#/components/responses/Conflict'}
"""


@needs("agronomist")
def claim(number: str):
    return _act(number, lambda svc, db, found, operator: tickets.claim(found, operator), "ticket_claimed")


@needs("agronomist")
def answer(number: str):
    body = json_object({"text"})
    text = body.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > tickets.MAX_ANSWER:
        abort(400, description=f"text is the answer, 1 to {tickets.MAX_ANSWER} characters")

    def act(svc, db, found, operator):
        tickets.answer_by_sms(svc, db, found, operator, text)
        return {"by": "sms", "characters": len(text)}
    return _act(number, act, "ticket_answered")


@needs("agronomist")
def close(number: str):
    outcome = json_object({"outcome"}).get("outcome")
    if outcome not in OUTCOMES:
        abort(400, description=f"outcome is one of {', '.join(OUTCOMES)}")

    def act(svc, db, found, operator):
        tickets.close(svc, db, found, outcome)
        return {"outcome": outcome}
    return _act(number, act, "ticket_closed")


claim.__doc__ = "Take a ticket.\n---\npost:\n  summary: Take a ticket nobody has" + _ACT_RESPONSES
answer.__doc__ = """Answer by SMS.
---
post:
  summary: Answer by SMS, in the farmer's language (through the outbox, with its DLT template)
  requestBody:
    required: true
    content:
      application/json:
        schema:
          type: object
          required: [text]
          additionalProperties: false
          properties: {text: {type: string, minLength: 1, maxLength: 480}}
""" + _ACT_RESPONSES
close.__doc__ = """Close a ticket.
---
post:
  summary: Close with an outcome; the farmer gets one SMS unless an SMS answer told them already
  requestBody:
    required: true
    content:
      application/json:
        schema:
          type: object
          required: [outcome]
          additionalProperties: false
          properties: {outcome: {type: string, enum: [answered, unreachable, referred]}}
""" + _ACT_RESPONSES

ROUTES = (
    ("GET", "/tickets", list_tickets),
    ("POST", "/tickets/<number>/claim", claim),
    ("POST", "/tickets/<number>/answer", answer),
    ("POST", "/tickets/<number>/close", close),
)
