"""Twilio, inbound: SMS (messages and status callbacks) and calls (the call, its Gather and Record actions, its
status), one module each; its outbound side is service.providers.twilio.

Every request is verified against X-Twilio-Signature with TWILIO_AUTH_TOKEN before anything is read or stored; a
request that fails gets 403. The signature covers the URL Twilio called. Behind a proxy or load balancer Flask sees
another URL, so when PUBLIC_BASE_URL is set the URL is rebuilt from it (path and query as received).
"""
from __future__ import annotations

import logging

from flask import Blueprint, abort, request
from twilio.request_validator import RequestValidator

from gateway import context, routes
from gateway.twilio import sms, voice

log = logging.getLogger(__name__)

ROUTES = (
    ("POST", "/sms", sms.inbound_sms),
    ("POST", "/sms/status", sms.sms_status),
    ("POST", "/voice", voice.voice),
    ("POST", "/voice/status", voice.voice_status),
)


def blueprint() -> Blueprint:
    return routes.blueprint("twilio", __name__, ROUTES, url_prefix="/twilio", before=check_signature)


def check_signature():
    token = context.settings().twilio_auth_token
    if token is None:
        log.warning("Twilio callback refused: TWILIO_AUTH_TOKEN is not set")
        abort(403, description="Twilio callbacks are not configured (TWILIO_AUTH_TOKEN)")
    signature = request.headers.get("X-Twilio-Signature", "")
    # request.form, not request.values: the signature covers the POST body only (query parameters are in the URL).
    if not signature or not RequestValidator(token).validate(routes.called_url(), request.form, signature):
        log.warning("Twilio callback refused: bad signature", extra={"path": request.path})
        abort(403, description="invalid X-Twilio-Signature")
    return None
