"""What admins do: add operators (their one-time password shown once), disable and enable them, reset a password,
make and revoke API keys, and read the audit log, filtered."""
from __future__ import annotations

import json
import secrets
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from console.forms import ActionForm, AuditFilterForm, KeyForm, OperatorForm, PhoneForm
from console.i18n import _
from console.pages import page_of
from console.security import audited, requires, service
from farmdb.models import ApiKey, AuditEvent, Operator
from farmdb.phones import InvalidPhoneNumber, to_e164
from service.operators import (
    OperatorError, add_operator, new_api_key, reset_password, revoke_key, set_disabled,
)


def _operators_page(form: OperatorForm | None = None, status: int = 200, **shown):
    with service().backends.sessions() as db:
        operators = db.scalars(select(Operator).order_by(Operator.disabled, Operator.username)).all()
        keys = db.scalars(select(ApiKey).order_by(ApiKey.created_at.desc())).all()
        return render_template("console/operators.html", operators=operators, keys=keys,
                               form=form or OperatorForm(), key_form=KeyForm(), action=ActionForm(),
                               **shown), status


SHOWN_FOR = 300  # seconds a new password or key waits to be shown, once


def _show_once(**secret):
    """Redirect to the Operators page, which shows `secret` once: kept server-side for a moment (never in the
    cookie, never in a URL), so reloading the page neither shows it again nor makes another."""
    token = secrets.token_urlsafe(16)
    service().backends.redis.setex(f"console:shown:{token}", SHOWN_FOR,
                                   json.dumps({**secret, "for": current_user.id}))
    return redirect(url_for("console.operators", shown=token))


def _take_shown() -> dict:
    token = request.args.get("shown", "")[:64]
    if not token:
        return {}
    with service().backends.redis.pipeline() as pipe:
        raw, _deleted = pipe.get(f"console:shown:{token}").delete(f"console:shown:{token}").execute()
    secret = json.loads(raw) if raw else {}
    return secret if secret.pop("for", None) == current_user.id else {}


@requires("admin")
def operators():
    return _operators_page(**_take_shown())


@requires("admin")
def add():
    form = OperatorForm()
    if not form.validate_on_submit():
        return _operators_page(form, 400)
    phone = None
    if form.phone.data:
        try:
            phone = to_e164(form.phone.data, service().settings.default_region)
        except InvalidPhoneNumber:
            form.phone.errors.append(_("That is not a phone number we can call."))
            return _operators_page(form, 400)
    try:
        with service().backends.sessions() as db, db.begin():
            operator, password = add_operator(db, form.username.data, form.role.data,
                                              display_name=form.display_name.data, phone=phone)
            audited(db, "operator_added", "operator", operator.id, username=operator.username, role=operator.role)
            username = operator.username
    except OperatorError as problem:
        form.username.errors.append(str(problem))
        return _operators_page(form, 400)
    return _show_once(created=username, password=password)


def _operator(db, operator_id: int) -> Operator:
    operator = db.get(Operator, operator_id)
    if operator is None:
        abort(404, description=_("No such operator."))
    return operator


def _change(operator_id: int, change):
    if not ActionForm().validate_on_submit():
        abort(400, description=_("The form expired: open the page again."))
    with service().backends.sessions() as db, db.begin():
        operator = _operator(db, operator_id)
        result = change(db, operator)
    return result


@requires("admin")
def disable(operator_id: int):
    if operator_id == current_user.id:
        flash(_("You cannot disable yourself: ask another admin."), "error")
        return redirect(url_for("console.operators"))

    def change(db, operator):
        set_disabled(operator, True)
        audited(db, "operator_disabled", "operator", operator.id, username=operator.username)
    _change(operator_id, change)
    flash(_("Disabled: their sessions and API keys stopped working at once."))
    return redirect(url_for("console.operators"))


@requires("admin")
def enable(operator_id: int):
    def change(db, operator):
        set_disabled(operator, False)
        audited(db, "operator_enabled", "operator", operator.id, username=operator.username)
    _change(operator_id, change)
    return redirect(url_for("console.operators"))


@requires("admin")
def reset(operator_id: int):
    def change(db, operator):
        password = reset_password(db, operator)
        audited(db, "operator_password_reset", "operator", operator.id, username=operator.username)
        return operator.username, password
    username, password = _change(operator_id, change)
    return _show_once(created=username, password=password)


@requires("admin")
def set_phone(operator_id: int):
    """Where "call the farmer" rings this operator first."""
    form = PhoneForm()
    if not form.validate_on_submit():
        abort(400, description=_("The form expired: open the page again."))
    try:
        phone = to_e164(form.phone.data, service().settings.default_region) if form.phone.data else None
    except InvalidPhoneNumber:
        flash(_("That is not a phone number we can call."), "error")
        return redirect(url_for("console.operators"))

    def change(db, operator):
        operator.phone = phone
        audited(db, "operator_phone_set", "operator", operator.id, username=operator.username)
    _change(operator_id, change)
    flash(_("Saved."))
    return redirect(url_for("console.operators"))


@requires("admin")
def add_key(operator_id: int):
    form = KeyForm()
    if not form.validate_on_submit():
        return _operators_page(status=400, key_problem=_("Say what the key is for."))
    with service().backends.sessions() as db, db.begin():
        operator = _operator(db, operator_id)
        if operator.disabled:
            abort(409, description=_("That operator is disabled: enable them first."))
        row, key = new_api_key(db, operator, form.name.data)
        audited(db, "api_key_created", "api_key", row.prefix, owner=operator.username, name=row.name)
        username = operator.username
    return _show_once(key=key, key_owner=username)


@requires("admin")
def revoke(key_id: int):
    if not ActionForm().validate_on_submit():
        abort(400, description=_("The form expired: open the page again."))
    with service().backends.sessions() as db, db.begin():
        row = db.get(ApiKey, key_id)
        if row is None:
            abort(404, description=_("No such key."))
        revoke_key(row)
        audited(db, "api_key_revoked", "api_key", row.prefix, owner=row.operator.username, name=row.name)
    flash(_("Revoked: the key stopped working at once."))
    return redirect(url_for("console.operators"))


@requires("admin")
def audit_log():
    form = AuditFilterForm(request.args, meta={"csrf": False})  # a GET filter changes nothing
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if form.validate():
        if form.actor.data:
            query = query.where(AuditEvent.actor == form.actor.data.strip().lower())
        if form.action.data:
            query = query.where(AuditEvent.action == form.action.data)
        if form.target.data:
            kind, _sep, ident = form.target.data.partition(":")
            query = query.where(AuditEvent.target_type == kind.strip())
            if ident.strip():
                query = query.where(AuditEvent.target_id == ident.strip())
        try:
            if form.since.data:
                query = query.where(AuditEvent.at >= _utc(form.since.data))
            if form.until.data:
                query = query.where(AuditEvent.at < _utc(form.until.data) + timedelta(days=1))
        except (OverflowError, ValueError):  # a day at the calendar's very edge
            form.since.errors = [*form.since.errors, _("Choose days between the years 2000 and 9000.")]
    with service().backends.sessions() as db:
        actions = db.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
        page = page_of(db, query, request.args.get("page"), per_page=50)
        return render_template("console/audit.html", page=page, form=form, actions=actions)


def _utc(day) -> datetime:
    """The start of a day as the service's operators count days (its time zone)."""
    return datetime.combine(day, time(), ZoneInfo(service().settings.timezone)).astimezone(timezone.utc)


ROUTES = (
    ("GET", "/operators", operators),
    ("POST", "/operators", add),
    ("POST", "/operators/<int:operator_id>/disable", disable),
    ("POST", "/operators/<int:operator_id>/enable", enable),
    ("POST", "/operators/<int:operator_id>/reset", reset),
    ("POST", "/operators/<int:operator_id>/keys", add_key),
    ("POST", "/operators/<int:operator_id>/phone", set_phone),
    ("POST", "/keys/<int:key_id>/revoke", revoke),
    ("GET", "/audit", audit_log),
)
ENDPOINTS = {"add": "add_operator", "audit_log": "audit"}
