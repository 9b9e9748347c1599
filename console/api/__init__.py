"""API v1 at /api/v1: farmers, the expert desk and broadcasts as JSON for operators' tools, each request with an
operator's API key and that operator's role, rate-limited per key (429 with Retry-After), described by an OpenAPI 3
document at /api/v1/openapi.json and read in Swagger UI at /api/v1/docs (served from the swagger-ui-bundle
package: nothing from a CDN). The old /api/broadcasts stays for one release, as an alias."""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify, render_template, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from console.api import auth, broadcasts, farmers, openapi, tickets
from console.security import refuse_nul

ROUTES = farmers.ROUTES + tickets.ROUTES + broadcasts.ROUTES
NAMES = {"search": "farmers", "farmer": "farmer", "list_tickets": "tickets", "claim": "claim", "answer": "answer",
         "close": "close", "create": "create_broadcast", "status": "broadcast", "list_broadcasts": "broadcasts",
         "cancel": "cancel_broadcast"}


@auth.public
def openapi_json():
    return jsonify(openapi.document(ROUTES))


@auth.public
def docs():
    return render_template("console/api_docs.html")


@auth.public
def swagger_asset(filename: str):
    return send_from_directory(swagger_ui_path, filename)


def _blueprint(name: str, url_prefix: str, routes, extra=()) -> Blueprint:
    bp = Blueprint(name, __name__, url_prefix=url_prefix)
    bp.before_request(refuse_nul)
    bp.before_request(auth.authenticate)
    for method, rule, view in routes:
        bp.add_url_rule(rule, endpoint=NAMES.get(view.__name__, view.__name__), view_func=view, methods=[method])
    for method, rule, view, endpoint in extra:
        bp.add_url_rule(rule, endpoint=endpoint, view_func=view, methods=[method])
    bp.after_request(_no_store)
    return bp


def _no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    openapi.document(ROUTES)  # built now: a view whose description does not parse stops start-up, not a request
    limiter = app.extensions["kheti_limiter"]
    v1 = _blueprint("api", openapi.PREFIX, ROUTES, extra=(
        ("GET", "/openapi.json", openapi_json, "openapi"), ("GET", "/docs", docs, "docs"),
        ("GET", "/docs/<path:filename>", swagger_asset, "swagger_asset")))
    legacy = _blueprint("api_legacy", "/api", broadcasts.ROUTES)  # the admin API's old paths, for one release
    for bp in (v1, legacy):
        limiter.limit(auth.rate, key_func=auth.rate_key)(bp)
        app.register_blueprint(bp)
