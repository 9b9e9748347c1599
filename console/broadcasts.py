"""Broadcasts in the console (issue #12, part 1): the list (state, progress, cost, who sent it); composing one from
an advisory or from the operator's own words in each language, with a live count per language (characters,
encoding, segments, the DLT template it matches or why none does) and an audience builder whose count, cost and
reason-when-empty follow every change; a confirmation page (what goes to whom, at what cost, starting when); its
progress live, its failures by the provider's reason, and cancelling what has not gone yet.

Viewers see; agronomists compose and cancel. Every broadcast made or cancelled is audited."""
from __future__ import annotations

import secrets
from dataclasses import replace

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from console.broadcast_forms import ComposeForm, local_time
from console.forms import ActionForm
from console.i18n import _
from console.pages import page_number
from console.security import audited, requires, service
from dialogs.encoding import measure as sms_length
from farmdb.models import Broadcast
from farmdb.types import utcnow
from locales.languages import CODES
from service import broadcasts
from service.broadcasts import BroadcastError, manage
from service.broadcasts.audience import resolve, why_empty
from service.broadcasts.estimate import preview
from service.send_windows import next_send_time

PER_PAGE = 25


@requires("viewer")
def broadcasts_list():
    number = page_number(request.args.get("page"))
    with service().backends.sessions() as db:
        rows, total = manage.page(db, page=number, per_page=PER_PAGE)
        return render_template("console/broadcasts.html", rows=rows, page=number,
                               more=number * PER_PAGE < total, may_compose=current_user.may("agronomist"))


def _plan(db, form: ComposeForm):
    """(bodies, preview, when it starts, why the audience is empty): what the form would send, or BroadcastError."""
    svc = service()
    if form.source.data == "advisory":
        advisory = form.advisory_row(db)
        if advisory is None:
            raise BroadcastError(_("There is no advisory with that number."))
        bodies = broadcasts.advisory_bodies(advisory)
        audience = form.audience()
        if not audience.crop:
            audience = replace(audience, crop=advisory.crop.code)
    else:
        bodies, audience = broadcasts.notice_bodies(form.words()), form.audience()
    target = resolve(db, audience, zone=svc.settings.timezone)
    plan = preview(svc, db, target, bodies, form.category.data)
    settings = svc.settings
    at = form.scheduled_for(settings.timezone) or utcnow()
    starts = next_send_time(settings.send_windows, form.category.data, "", at, settings.timezone) or at
    return audience, bodies, plan, starts, (why_empty(db, target) if plan.recipients == 0 else None)


@requires("agronomist")
def compose():
    form = ComposeForm(request.form if request.method == "POST" else None)
    svc = service()
    with svc.backends.sessions() as db:
        form.fill_choices(db)
        if request.method == "POST" and request.form.get("edit"):
            form.confirmed.data = ""
        elif request.method == "POST" and form.validate():
            try:
                audience, bodies, plan, starts, empty = _plan(db, form)
            except BroadcastError as exc:
                flash(str(exc), "error")
            else:
                if form.confirmed.data == "yes" and not plan.problems and plan.recipients:
                    return _create(form, audience, bodies)
                form.confirmed.data = "yes" if not plan.problems and plan.recipients else ""
                form.nonce.data = form.nonce.data or secrets.token_hex(8)
                return render_template("console/broadcast_confirm.html", form=form, plan=plan, empty=empty,
                                       starts=local_time(starts, svc.settings.timezone),
                                       now=starts <= utcnow())
        return render_template("console/broadcast_new.html", form=form, languages=CODES)


def _create(form: ComposeForm, audience, bodies):
    svc, who = service(), current_user.username
    scheduled = form.scheduled_for(svc.settings.timezone)
    try:
        with svc.backends.sessions() as db, db.begin():
            if form.source.data == "advisory":
                made, _plan_, new = broadcasts.advisory_broadcast(
                    svc, db, form.advisory.data, audience, category=form.category.data, created_by=who,
                    title=form.title.data, scheduled_for=scheduled, nonce=form.nonce.data or "")
            else:
                key = broadcasts.notice_key(form.title.data, bodies, audience, form.category.data, scheduled,
                                            form.nonce.data or "")
                made, _plan_, new = broadcasts.create(svc, db, key=key, kind="notice", category=form.category.data,
                                                      audience=audience, bodies=bodies, purpose="notice",
                                                      created_by=who, title=form.title.data, scheduled_for=scheduled)
            broadcast_id = made.id
            if new:
                audited(db, "broadcast.created", "broadcast", broadcast_id, title=form.title.data,
                        audience=audience.as_dict(), category=form.category.data, recipients=made.recipients,
                        scheduled_for=scheduled.isoformat() if scheduled else None)
    except BroadcastError as exc:
        flash(str(exc), "error")
        return redirect(url_for("console.compose_broadcast"))
    flash(_("Broadcast made.") if new else _("This broadcast had been made already: nothing was added."), "ok")
    return redirect(url_for("console.broadcast", broadcast_id=broadcast_id))


@requires("agronomist")
def audience_count():
    """The audience builder's live answer: how many, per language, at what cost, and why nobody."""
    form = ComposeForm(request.form, meta={"csrf": False})  # read-only: nothing changes
    with service().backends.sessions() as db:
        form.fill_choices(db)
        try:
            _a, _b, plan, starts, empty = _plan(db, form)
        except BroadcastError as exc:
            return jsonify({"recipients": 0, "problem": str(exc)})
        return jsonify({"recipients": plan.recipients, "segments": plan.segments, "empty": empty,
                        "estimated_cost": f"{plan.estimated_cost:.2f} {plan.currency}", "problems": plan.problems,
                        "languages": {p.locale: p.recipients for p in plan.languages},
                        "starts": local_time(starts, service().settings.timezone)})


@requires("agronomist")
def measure_words(locale: str):
    """One language's words as the farmer's phone will get them (in the notice template): length, encoding,
    segments, and the DLT template they match or why none does."""
    if locale not in CODES:
        abort(404)
    body = request.get_json(silent=True)
    text = body.get("text", "") if isinstance(body, dict) else None
    if not isinstance(text, str):
        abort(400, description="text is a string")
    svc = service()
    try:
        sms = broadcasts.notice_bodies({locale: text[:2000]}).get(locale, "")
    except BroadcastError as exc:
        return jsonify({"summary": str(exc), "characters": len(text), "limit": 300})
    length = sms_length(sms)
    with svc.backends.sessions() as db:
        template = svc.templates.match(db, sms, "service_explicit", svc.dlt_header())
    matched = _("DLT template %(id)s", id=template.template_id) if template else _("no DLT template matches")
    summary = _("%(characters)s characters · %(encoding)s · %(segments)s SMS · %(matched)s",
                characters=len(sms), encoding=length.encoding, segments=length.segments, matched=matched)
    return jsonify({"summary": summary, "characters": len(" ".join(text.split())), "limit": 300})


@requires("viewer")
def broadcast(broadcast_id: int):
    with service().backends.sessions() as db:
        found = broadcasts.status(db, broadcast_id)
        if found is None:
            abort(404)
        made = db.get(Broadcast, broadcast_id)
        state = manage.state(made, found["counts"])
        return render_template("console/broadcast.html", b=made, status=found, state=state,
                               failures=manage.failures(db, broadcast_id), form=ActionForm(),
                               may_cancel=current_user.may("agronomist") and state in ("scheduled", "sending"),
                               starts=local_time(made.scheduled_for, service().settings.timezone))


@requires("viewer")
def progress(broadcast_id: int):
    with service().backends.sessions() as db:
        found = broadcasts.status(db, broadcast_id)
        if found is None:
            abort(404)
        found["state"] = manage.state(db.get(Broadcast, broadcast_id), found["counts"])
        return jsonify(found)


@requires("agronomist")
def cancel(broadcast_id: int):
    if not ActionForm().validate_on_submit():
        abort(400, description="the form expired: open the page again")
    with service().backends.sessions() as db, db.begin():
        try:
            cancelled = manage.cancel(db, broadcast_id, current_user.username)
        except LookupError:
            abort(404)
        audited(db, "broadcast.cancelled", "broadcast", broadcast_id, messages_cancelled=cancelled)
    flash(_("Cancelled: %(n)s messages not yet sent will not go.", n=cancelled), "ok")
    return redirect(url_for("console.broadcast", broadcast_id=broadcast_id))


ROUTES = (
    ("GET", "/broadcasts", broadcasts_list),
    ("GET", "/broadcasts/new", compose),
    ("POST", "/broadcasts/new", compose),
    ("POST", "/broadcasts/audience", audience_count),
    ("POST", "/broadcasts/measure/<locale>", measure_words),
    ("GET", "/broadcasts/<int:broadcast_id>", broadcast),
    ("GET", "/broadcasts/<int:broadcast_id>/progress", progress),
    ("POST", "/broadcasts/<int:broadcast_id>/cancel", cancel),
)
ENDPOINTS = {"broadcasts_list": "broadcasts", "compose": "compose_broadcast", "audience_count": "broadcast_audience",
             "measure_words": "broadcast_measure", "progress": "broadcast_progress", "cancel": "cancel_broadcast"}
