"""Plivo, inbound: SMS (messages and delivery reports) and calls (the call, its GetInput and Record actions, its
hangup), one module each; its outbound side is service.providers.plivo.

Every request is verified against X-Plivo-Signature-V3 (with its nonce) and PLIVO_AUTH_TOKEN before anything is
read or stored, by the SDK's own check; a request that fails gets 403. The signature covers the URL Plivo called
(with its query) and the POST parameters, so the URL is rebuilt from PUBLIC_BASE_URL when set, as for Twilio.
"""
from __future__ import annotations

import logging

from flask import Blueprint, abort, request
from plivo.exceptions import PlivoRestError
from plivo.utils.signature_v3 import validate_v3_signature

from gateway import context, routes
from gateway.plivo import sms, voice

log = logging.getLogger(__name__)

ROUTES = (
    ("POST", "/sms", sms.inbound_sms),
    ("POST", "/sms/status", sms.sms_status),
    ("POST", "/voice", voice.voice),
    ("POST", "/voice/status", voice.voice_status),
)


def blueprint() -> Blueprint:
    return routes.blueprint("plivo", __name__, ROUTES, url_prefix="/plivo", before=check_signature)


def check_signature():
    token = context.settings().plivo_auth_token
    if token is None:
        log.warning("Plivo callback refused: PLIVO_AUTH_TOKEN is not set")
        abort(403, description="Plivo callbacks are not configured (PLIVO_AUTH_TOKEN)")
    signature = request.headers.get("X-Plivo-Signature-V3", "")
    nonce = request.headers.get("X-Plivo-Signature-V3-Nonce", "")
    if not (signature and nonce and signed(token, signature, nonce)):
        log.warning("Plivo callback refused: bad signature", extra={"path": request.path})
        abort(403, description="invalid X-Plivo-Signature-V3")
    return None


def signed(token: str, signature: str, nonce: str) -> bool:
    # Every value of a repeated field, as Plivo signs them; the query is in the URL.
    params = request.form.to_dict(flat=False)
    try:
        return validate_v3_signature("POST", routes.called_url(), nonce, token, signature, params)
    except (PlivoRestError, ValueError, TypeError):  # the SDK's own argument checks: not a signature we can trust
        return False
