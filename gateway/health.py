"""Liveness and readiness for load balancers and orchestrators.

/readyz is open to anyone, so it says only which check failed (database, schema, redis): a driver's error names
hosts, ports and users, and that goes to the operator's log (masked like every log line), not to a stranger."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify

from farmdb.db import ping
from farmdb.migrate import current_revision
from gateway import context, routes

log = logging.getLogger(__name__)

CHECKS = ("database", "schema", "redis")


def blueprint() -> Blueprint:
    return routes.blueprint("health", __name__, (("GET", "/healthz", healthz), ("GET", "/readyz", readyz)))


def healthz():
    """The process is up and serving: restart it if this fails."""
    return jsonify(status="ok")


def readyz():
    """Can this instance do real work? Take it out of the load balancer (503) while a dependency is down."""
    backends = context.service().backends
    problems = {**_check_database(backends.engine, current_app.config["KHETI_SCHEMA_HEAD"]),
                **_check_redis(backends.redis)}
    checks = {name: "failing" if name in problems else "ok" for name in CHECKS}
    if "database" in problems:
        checks["schema"] = "not checked"  # nothing to read it from
    if problems:
        log.warning("not ready: %s", "; ".join(f"{name}: {detail}" for name, detail in problems.items()),
                    extra={"failing": list(problems)})
        return jsonify(status="unavailable", failing=list(problems), checks=checks), 503
    return jsonify(status="ok", checks=checks)


def _check_database(engine, head: str) -> dict[str, str]:
    """{} when the database answers and its schema is current; else {check: what the operator needs to know}."""
    try:
        ping(engine)
        revision = current_revision(engine)
    except Exception as exc:  # any driver error means "not reachable"
        return {"database": f"unreachable: {type(exc).__name__}: {_first_line(exc)}"}
    if revision != head:
        return {"schema": f"at {revision or 'nothing'}, expected {head}: run `kheti db upgrade`"}
    return {}


def _check_redis(client) -> dict[str, str]:
    try:
        client.ping()
    except Exception as exc:
        return {"redis": f"unreachable: {type(exc).__name__}: {_first_line(exc)}"}
    return {}


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:200]
