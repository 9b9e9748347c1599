"""Every error is a short JSON body with a reason: providers and operators get something to act on, never a trace."""
from __future__ import annotations

import logging

from typing import Callable

import redis
from flask import Flask, abort, jsonify, request
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

log = logging.getLogger(__name__)

# A backend out of reach (the database refused, timed out, or held a lock too long; every pooled connection taken;
# Redis gone). The request itself was fine: 503 with Retry-After tells a provider to send it again later, and
# Africa's Talking and Razorpay do. Endpoints that can answer anyway (a USSD hop, a call turn) catch these first.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout)
OUTAGES = (*DATABASE_DOWN, redis.ConnectionError, redis.TimeoutError)
RETRY_AFTER_S = 30


def error_response(status: int, reason: str, message: str):
    response = jsonify(error=reason, message=message)
    response.status_code = status
    return response


def init_app(app: Flask, pages: dict[str, Callable] | None = None) -> None:
    """`pages`: path prefixes people read in a browser (the console), with what renders an error for them."""
    pages = pages or {}

    @app.before_request
    def _readable_query():
        # A raw byte over 127 in the request line cannot be decoded as a query: every route reading one would 500.
        if not request.environ.get("QUERY_STRING", "").isascii():
            abort(400, description="the query string must be URL-encoded (percent-escape anything not ASCII)")

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        for prefix, render in pages.items():
            if request.path == prefix or request.path.startswith(prefix + "/"):
                return render(exc)
        reason = (exc.name or "error").lower().replace(" ", "_")
        response = error_response(exc.code or 500, reason, exc.description or exc.name)
        for name, value in exc.get_headers():  # WWW-Authenticate on a 401, Retry-After on a 429 or 503
            if name.lower() != "content-type":
                response.headers[name] = value
        if exc.code == 503 and "Retry-After" not in response.headers:
            response.headers["Retry-After"] = str(RETRY_AFTER_S)  # when to send it again: providers read this
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    def _outage(exc: Exception):
        log.error("%s %s refused: a backend is unavailable: %s", request.method, request.path, type(exc).__name__,
                  extra={"outage": type(exc).__name__})
        return _http_error(ServiceUnavailable("A database or Redis is out of reach for a moment: send this again "
                                              "shortly.", retry_after=RETRY_AFTER_S))

    for outage in OUTAGES:
        app.register_error_handler(outage, _outage)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return error_response(500, "internal_server_error", InternalServerError.description)
