"""Who is at the console, and what they may do: Flask-Login sessions (Secure, HttpOnly, SameSite cookies that end
after CONSOLE_IDLE_MINUTES without a request, and at once when the operator's password changes or they are
disabled), Flask-WTF's CSRF check on every form, flask-limiter on the login form, a role on every view, and the
audit log of what they did."""
from __future__ import annotations

import functools
import logging
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session

from farmdb.models import Operator
from service import audit
from service.context import Service
from service.operators import may
from service.settings import Settings, SettingsError

log = logging.getLogger(__name__)

LOGIN_LIMIT = "10 per minute; 50 per hour"  # per address; wrong passwords also lock the account (service.operators)


class ConsoleUser(UserMixin):
    """The signed-in operator as the session knows them. The session carries id and session_version: a password
    change or a disable bumps the version, and every session made before it stops at once."""

    def __init__(self, operator: Operator):
        self.id, self.username, self.display_name = operator.id, operator.username, operator.display_name
        self.role, self.must_change_password = operator.role, operator.must_change_password
        self.session_version = operator.session_version

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def may(self, role: str) -> bool:
        return may(self.role, role)


def init_app(app: Flask, service: Service) -> None:
    settings = service.settings
    app.secret_key = secret_key(settings)
    # Secure cookies, except on the embedded default (a laptop, perhaps reached over the LAN by plain http) or when
    # PUBLIC_BASE_URL says plain http.
    secure = not (settings.embedded or (settings.public_base_url or "").startswith("http://"))
    app.config.update(
        SESSION_COOKIE_NAME="kheti_console", SESSION_COOKIE_SECURE=secure, SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax", PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.console_idle_minutes),
        SESSION_REFRESH_EACH_REQUEST=True, REMEMBER_COOKIE_DURATION=timedelta(0),
        WTF_CSRF_TIME_LIMIT=None,  # the session's own lifetime bounds the token
        WTF_CSRF_CHECK_DEFAULT=False,  # checked by the console's blueprint, on all its routes (console.init_app)
    )
    logins = LoginManager(app)
    # "basic": the session's own version (ConsoleUser.get_id) ends sessions; "strong" would also sign out an
    # agronomist whose mobile network changes address, mid-answer.
    logins.session_protection = "basic"
    logins.login_view = "console.login"

    @logins.user_loader
    def load(user_id: str) -> ConsoleUser | None:
        operator_id, _, version = user_id.partition(":")
        if not operator_id.isdigit() or not version.isdigit():
            return None
        with service.backends.sessions() as db:
            operator = db.get(Operator, int(operator_id))
            if operator is None or operator.disabled or operator.session_version != int(version):
                return None
            return ConsoleUser(operator)

    app.extensions["kheti_csrf"] = CSRFProtect(app)


def secret_key(settings: Settings) -> str:
    """SECRET_KEY, or on the embedded default a key made once and kept in VAR_DIR (so a restart keeps sessions)."""
    if settings.secret_key:
        return settings.secret_key
    if not settings.embedded:
        raise SettingsError("SECRET_KEY", "must be set (32 or more random characters) outside the embedded default")
    path = Path(settings.var_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def requires(role: str):
    """The role a view needs (viewer < agronomist < admin): not signed in goes to the login form, a one-time
    password to the password form first, too little a role is 403. The role is kept on the view, so a test can
    prove every route declares one."""
    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("console.login", next=request.full_path))
            if current_user.must_change_password and request.endpoint not in ("console.password", "console.logout"):
                return redirect(url_for("console.password"))
            if not current_user.may(role):
                abort(403, description=f"this needs the {role} role")
            return view(*args, **kwargs)
        guarded.required_role = role
        return guarded
    return decorate


def public(view):
    """A view anyone may open (the login form): said out loud, like a role."""
    view.required_role = None
    return view


def audited(db: Session, action: str, target_type: str | None = None, target_id: object = None, **detail) -> None:
    """Record what the signed-in operator just did, in the transaction that does it."""
    operator = db.get(Operator, current_user.id) if current_user.is_authenticated else None
    audit.record(db, operator, action, target_type=target_type, target_id=target_id,
                 remote_addr=request.remote_addr, actor=None if operator else "anonymous", **detail)


def service() -> Service:
    return current_app.extensions["kheti"]


def refuse_nul() -> None:
    """A NUL character is in no name, number, search or answer, and PostgreSQL refuses it in text: a console or API
    request carrying one (in its path, query, form or JSON) gets a 400 saying so, not a 500 from the database. (The
    providers' webhooks clean what farmers send instead; an uploaded file is checked by whoever reads it.)"""
    values = [request.path, *request.args.values()]
    if request.mimetype == "application/x-www-form-urlencoded":
        values += request.form.values()
    elif request.is_json:
        data = request.get_data()
        values.append("\x00" if b"\\u0000" in data or b"\x00" in data else "")
    if any("\x00" in value for value in values):
        abort(400, description="a NUL character is in no name, number or message: remove it and retry")
