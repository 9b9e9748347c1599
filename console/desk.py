"""The expert desk: the queue of farmers' requests, oldest first with the overdue ones marked, and a ticket's page,
where an agronomist claims or assigns it, answers by SMS (with a live count of characters, encoding and segments),
closes it with an outcome, or reopens it."""
from __future__ import annotations

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from console.forms import ActionForm, AnswerForm, AssignForm, CloseForm, options
from console.i18n import _
from console.pages import page_of
from console.security import audited, requires, service
from farmdb.models import ExpertRequest, Operator
from farmdb.models.requests import REQUEST_KINDS
from service import bridges, recordings, session_records, tickets

STATUSES = ("open", "answered", "closed", "all")


@requires("viewer")
def desk():
    status = request.args.get("status", "open")
    status = status if status in STATUSES else "open"
    kind = request.args.get("kind") if request.args.get("kind") in REQUEST_KINDS else None
    mine = request.args.get("mine") == "1"
    with service().backends.sessions() as db:
        query = tickets.queue(status, kind, current_user.id if mine else None)
        page = page_of(db, query, request.args.get("page"))
        rows = [(t, tickets.waiting(t), tickets.stage_of(t, service().settings.timezone)) for t in page.items]
        open_count, overdue = tickets.open_and_overdue(db)
        return render_template("console/desk.html", rows=rows, page=page, status=status, kind=kind, mine=mine,
                               statuses=STATUSES, kinds=REQUEST_KINDS, open_count=open_count, overdue=overdue)


def _ticket(db, number: str, lock: bool = False) -> ExpertRequest:
    ticket = tickets.find(db, number, lock=lock)
    if ticket is None:
        abort(404, description=_("No such ticket."))
    return ticket


@requires("viewer")
def ticket(number: str):
    with service().backends.sessions() as db:
        found = _ticket(db, number)
        agronomists = db.scalars(select(Operator).where(Operator.disabled.is_(False),
                                                        Operator.role.in_(("agronomist", "admin")))
                                 .order_by(Operator.display_name)).all()
        assign = AssignForm()
        assign.operator.choices = options((o.id, o.display_name) for o in agronomists)
        return render_template(
            "console/ticket.html", ticket=found, waited=tickets.waiting(found),
            stage=tickets.stage_of(found, service().settings.timezone), earlier=tickets.earlier(db, found),
            action=ActionForm(), assign=assign, answer=AnswerForm(), close=CloseForm(),
            limit=tickets.MAX_ANSWER, seen=tickets.version(found), during=session_records.during(db, found))


def _act(number: str, act, form=None):
    """Do one thing to a ticket under its row lock, audit it, and come back to its page."""
    form = form or ActionForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for("console.ticket", number=number))
    svc = service()
    try:
        with svc.backends.sessions() as db, db.begin():
            found = _ticket(db, number, lock=True)
            tickets.unchanged_since(found, request.form.get("seen"))
            action, detail = act(svc, db, found, db.get(Operator, current_user.id), form)
            audited(db, action, "ticket", found.ticket, **detail)
    except tickets.TicketError as problem:  # nothing was changed: the transaction rolled back
        flash(str(problem), "error")
    return redirect(url_for("console.ticket", number=number))


@requires("agronomist")
def claim(number: str):
    def act(svc, db, found, operator, form):
        tickets.claim(found, operator)
        return "ticket_claimed", {}
    return _act(number, act)


@requires("agronomist")
def assign(number: str):
    form = AssignForm()
    with service().backends.sessions() as db:
        form.operator.choices = options((o.id, o.display_name) for o in db.scalars(select(Operator)))

    def act(svc, db, found, operator, form):
        to = db.get(Operator, form.operator.data)
        tickets.assign(found, to)
        return "ticket_assigned", {"to": to.username}
    return _act(number, act, form)


@requires("agronomist")
def answer(number: str):
    def act(svc, db, found, operator, form):
        tickets.answer_by_sms(svc, db, found, operator, form.text.data)
        flash(_("The answer is on its way to the farmer by SMS."))
        return "ticket_answered", {"by": "sms", "characters": len(form.text.data)}
    return _act(number, act, AnswerForm())


@requires("agronomist")
def call(number: str):
    """Ring the agronomist's phone, then connect the farmer (service.bridges): the number stays hidden."""
    def act(svc, db, found, operator, form):
        placed = bridges.call_farmer(svc, db, found, operator)
        flash(_("Your phone will ring now: answer it and you are connected to the farmer."))
        return "farmer_called", {"provider": placed.provider, "call_id": placed.call_id}
    return _act(number, act)


@requires("agronomist")
def close(number: str):
    def act(svc, db, found, operator, form):
        tickets.close(svc, db, found, form.outcome.data)
        return "ticket_closed", {"outcome": form.outcome.data}
    return _act(number, act, CloseForm())


@requires("agronomist")
def reopen(number: str):
    def act(svc, db, found, operator, form):
        tickets.reopen(found)
        return "ticket_reopened", {}
    return _act(number, act)


@requires("viewer")
def recording(number: str):
    """The farmer's recorded question, fetched from the provider through us (service.recordings says from where);
    each playing is in the audit log, as a farmer's voice is their personal data."""
    with service().backends.sessions() as db:
        url = _ticket(db, number).recording_url
    if not url:
        abort(404, description=_("This ticket has no recording."))
    try:
        heard = recordings.fetch(service().settings, url)
    except recordings.RecordingError as problem:
        abort(problem.status, description=str(problem))
    with service().backends.sessions() as db, db.begin():
        audited(db, "recording_played", "ticket", number)
    return Response(heard.body, mimetype=heard.content_type, headers={"Cache-Control": "no-store"})


@requires("agronomist")
def measure():
    """What the farmer's phone will make of an answer as it is typed (the page asks as the agronomist types)."""
    body = request.get_json(silent=True)
    text = body.get("text", "") if isinstance(body, dict) else None
    number = body.get("ticket", "") if isinstance(body, dict) else ""
    if not isinstance(text, str) or not isinstance(number, str):
        abort(400, description="text and ticket are strings")
    with service().backends.sessions() as db:
        found = tickets.find(db, number[:12]) if number else None
        measured = tickets.measured(text[:2000], found)
    script = _("Latin letters") if measured["encoding"] == "GSM-7" else _("Devanagari or other scripts")
    measured["summary"] = _("%(characters)s of %(limit)s characters · %(encoding)s (%(script)s) · %(segments)s SMS",
                            script=script, **measured)
    return jsonify(measured)


ROUTES = (
    ("GET", "/desk", desk),
    ("GET", "/tickets/<number>", ticket),
    ("GET", "/tickets/<number>/recording", recording),
    ("POST", "/tickets/<number>/claim", claim),
    ("POST", "/tickets/<number>/assign", assign),
    ("POST", "/tickets/<number>/answer", answer),
    ("POST", "/tickets/<number>/call", call),
    ("POST", "/tickets/<number>/close", close),
    ("POST", "/tickets/<number>/reopen", reopen),
    ("POST", "/measure", measure),
)
