"""Signing in and out, and changing one's password (which a one-time password must be, first)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from console.forms import LoginForm, PasswordForm
from console.i18n import _
from console.security import ConsoleUser, audited, public, requires, service
from farmdb.models import Operator
from service import audit
from service.operators import OperatorError, change_password, sign_in


@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        with service().backends.sessions() as db, db.begin():
            result = sign_in(db, form.username.data, form.password.data)
            if result.operator is None:
                # The name typed, only when it is an operator's: a password typed in the wrong box is not logged.
                typed = form.username.data.strip().lower()[:40]
                known = db.scalar(select(Operator.id).where(Operator.username == typed)) is not None
                audit.record(db, None, "login_failed", actor=typed if known else "unknown",
                             remote_addr=request.remote_addr, reason=result.problem)
            else:
                audit.record(db, result.operator, "login", remote_addr=request.remote_addr)
                user = ConsoleUser(result.operator)
        if result.operator is None:
            form.password.errors.append(_(result.problem))
            return render_template("console/login.html", form=form), 401
        session.clear()  # a fresh session for a fresh sign-in
        session.permanent = True
        login_user(user)
        return redirect(url_for("console.password") if user.must_change_password else _next())
    return render_template("console/login.html", form=form), 400 if form.is_submitted() else 200


def _next() -> str:
    """Where the login form was asked from, when that is one of our own pages."""
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if target.startswith("/console") and not parts.scheme and not parts.netloc:
        return target
    return url_for("console.desk")


@requires("viewer")
def logout():
    """Signing out ends the operator's sessions everywhere: the cookie is signed, not stored, so a copy of it
    would otherwise still work; a new session version makes every copy worthless."""
    with service().backends.sessions() as db, db.begin():
        db.get(Operator, current_user.id).session_version += 1
        audited(db, "logout")
    logout_user()
    session.clear()
    return redirect(url_for("console.login"))


@requires("viewer")
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        with service().backends.sessions() as db, db.begin():
            operator = db.get(Operator, current_user.id)
            try:
                change_password(db, operator, form.current.data, form.new.data)
            except OperatorError as problem:
                form.new.errors.append(_(str(problem)))
                return render_template("console/password.html", form=form), 400
            audited(db, "password_changed", "operator", operator.id)
            user = ConsoleUser(operator)
        login_user(user)  # the new session version: other sessions of this operator have ended
        flash(_("Password changed."))
        return redirect(url_for("console.desk"))
    return render_template("console/password.html", form=form), 400 if form.is_submitted() else 200

