"""The operators' web console at /console: the expert desk, farmers, operators and the audit log. Server-rendered
(Jinja2), a few lines of plain JavaScript, nothing fetched from outside. Every view declares the role it needs
(console.security.requires); `init_app` registers the blueprint built from the route tables of its modules."""
from __future__ import annotations

from flask import Blueprint, Flask, redirect, render_template, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from console import (
    admin, auth, broadcasts, campaigns, content, dashboard, desk, farmers, filters, i18n, imports, phone, security,
    sessions,
)
from console.i18n import _
from service.context import Service

PREFIX = "/console"


@security.public  # it only redirects: the page it sends to checks the role
def _home():
    return redirect(url_for("console.desk"))


ROUTES = (
    ("GET", "/", _home, "home"),
    ("GET", "/login", auth.login, "login"),
    ("POST", "/login", auth.login, "login"),
    ("POST", "/logout", auth.logout, "logout"),
    ("GET", "/password", auth.password, "password"),
    ("POST", "/password", auth.password, "password"),
)


def routes():
    """Every (method, rule, view, endpoint) of the console."""
    yield from ROUTES
    for module in (desk, farmers, imports, admin, sessions, dashboard, phone, content, broadcasts, campaigns):
        names = getattr(module, "ENDPOINTS", {})
        for method, rule, view in module.ROUTES:
            yield method, rule, view, names.get(view.__name__, view.__name__)


def init_app(app: Flask, service: Service) -> None:
    """Sessions, CSRF, the login limit and the console's blueprint. The CSRF check guards every route of the
    console, whatever it is: the gateway's routes are called by machines that prove themselves by signature,
    token or key, and never carry a session cookie."""
    security.init_app(app, service)
    i18n.init_app(app)
    filters.init_app(app, service.settings.timezone)
    limiter = app.extensions["kheti_limiter"]
    bp = Blueprint("console", __name__, url_prefix=PREFIX, template_folder="templates", static_folder="static",
                   static_url_path="/static")
    login = limiter.limit(security.LOGIN_LIMIT, methods=["POST"])(auth.login)
    for method, rule, view, endpoint in routes():
        bp.add_url_rule(rule, endpoint=endpoint, view_func=login if view is auth.login else view, methods=[method])
    bp.before_request(imports.allow_large_upload)  # before anything reads the body
    bp.before_request(security.refuse_nul)
    bp.before_request(app.extensions["kheti_csrf"].protect)  # every POST of the console, no exceptions
    bp.after_request(_headers)
    app.register_blueprint(bp)


def error_page(exc: HTTPException):
    """An error under /console as a page (the gateway's errors are JSON for machines)."""
    if isinstance(exc, CSRFError):
        message = _("The form expired or did not come from this console: open the page again and retry.")
    elif exc.code == 429:
        message = _("Too many tries: wait a minute and try again.")
    else:
        message = exc.description or exc.name
    response = render_template("console/error.html", code=exc.code, title=exc.name, message=message)
    headers = {"Retry-After": exc.retry_after} if getattr(exc, "retry_after", None) else {}
    return response, exc.code or 500, headers


def _headers(response):
    """Scripts and styles only from here. (No caching, framing or sniffing, and HSTS, are on every answer of the
    app: gateway/headers.py.)"""
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
    return response
