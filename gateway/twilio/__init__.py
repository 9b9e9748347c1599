"""Twilio: SMS and calls. Every request is verified against X-Twilio-Signature with
TWILIO_AUTH_TOKEN before anything is read or stored; a request that fails gets 403.

The signature covers the URL Twilio called. Behind a proxy or load balancer Flask sees another URL, so when
PUBLIC_BASE_URL is set the URL is rebuilt from it (path and query as received).
"""
from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, request
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)
bp = Blueprint("twilio", __name__, url_prefix="/twilio")


def public_url() -> str:
    base = current_app.config["KHETI_SETTINGS"].public_base_url
    if not base:
        return request.url
    query = request.query_string.decode()
    return base + request.path + (f"?{query}" if query else "")


@bp.before_request
def _check_signature():
    token = current_app.config["KHETI_SETTINGS"].twilio_auth_token
    if token is None:
        log.warning("Twilio callback refused: TWILIO_AUTH_TOKEN is not set")
        abort(403, description="Twilio callbacks are not configured (TWILIO_AUTH_TOKEN)")
    signature = request.headers.get("X-Twilio-Signature", "")
    # request.form, not request.values: the signature covers the POST body only (query parameters are in the URL).
    if not signature or not RequestValidator(token).validate(public_url(), request.form, signature):
        log.warning("Twilio callback refused: bad signature", extra={"path": request.path})
        abort(403, description="invalid X-Twilio-Signature")
    return None


from gateway.twilio import sms, status, voice  # noqa: E402,F401  (routes register on bp)
