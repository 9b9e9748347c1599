"""Every error is a short JSON body with a reason: providers and operators get something to act on, never a trace."""
from __future__ import annotations

import logging

from typing import Callable

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


def error_response(status: int, reason: str, message: str):
    response = jsonify(error=reason, message=message)
    response.status_code = status
    return response


def init_app(app: Flask, pages: dict[str, Callable] | None = None) -> None:
    """`pages`: path prefixes people read in a browser (the console), with what renders an error for them."""
    pages = pages or {}

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
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return error_response(500, "internal_server_error", InternalServerError.description)
