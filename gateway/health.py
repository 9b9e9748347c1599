"""Liveness and readiness for load balancers and orchestrators."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify

from farmdb.db import ping
from farmdb.migrate import current_revision
from gateway import context, routes

log = logging.getLogger(__name__)


def blueprint() -> Blueprint:
    return routes.blueprint("health", __name__, (("GET", "/healthz", healthz), ("GET", "/readyz", readyz)))


def healthz():
    """The process is up and serving: restart it if this fails."""
    return jsonify(status="ok")


def readyz():
    """Can this instance do real work? Take it out of the load balancer (503) while a dependency is down."""
    backends = context.service().backends
    checks = {"database": _check_database(backends.engine, current_app.config["KHETI_SCHEMA_HEAD"]),
              "redis": _check_redis(backends.redis)}
    failing = [name for name, result in checks.items() if result != "ok"]
    if failing:
        log.warning("not ready", extra={"failing": failing, "checks": checks})
        return jsonify(status="unavailable", failing=failing, checks=checks), 503
    return jsonify(status="ok", checks=checks)


def _check_database(engine, head: str) -> str:
    try:
        ping(engine)
        revision = current_revision(engine)
    except Exception as exc:  # any driver error means "not reachable"; the reason goes to the operator
        return f"unreachable: {type(exc).__name__}: {_first_line(exc)}"
    if revision != head:
        return f"schema at {revision or 'nothing'}, expected {head}: run `kheti db upgrade`"
    return "ok"


def _check_redis(client) -> str:
    try:
        client.ping()
    except Exception as exc:
        return f"unreachable: {type(exc).__name__}: {_first_line(exc)}"
    return "ok"


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:200]
