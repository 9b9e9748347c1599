"""A blueprint from a table of routes: every module that serves URLs lists them as (method, rule, view), in one
place a reader can scan, and `create_app` registers the blueprints built from them."""
from __future__ import annotations

from typing import Callable, Iterable

from flask import Blueprint, request

from gateway import context

Route = tuple[str, str, Callable]  # ("POST", "/ussd", view)


def blueprint(name: str, import_name: str, routes: Iterable[Route], *, url_prefix: str | None = None,
              before: Callable | None = None) -> Blueprint:
    """`before` runs ahead of every route of the blueprint (verifying a provider's signature or token)."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    if before is not None:
        bp.before_request(before)
    for method, rule, view in routes:
        bp.add_url_rule(rule, view_func=view, methods=[method])
    return bp


def called_url() -> str:
    """The URL the provider called, which its signature covers. Behind a proxy or load balancer Flask sees another
    URL, so when PUBLIC_BASE_URL is set the URL is rebuilt from it (path and query as received)."""
    base = context.settings().public_base_url
    if not base:
        return request.url
    query = request.query_string.decode()
    return base + request.path + (f"?{query}" if query else "")
