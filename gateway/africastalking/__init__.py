"""Africa's Talking, inbound: USSD, SMS (messages, delivery reports, bulk opt-outs) and voice callbacks, one module
each; its outbound side is service.providers.africastalking.

AT does not sign its callbacks, so every /africastalking/* URL must carry the secret AT_WEBHOOK_TOKEN as ?token=
(compared in constant time); a request without it gets 403 before anything is read or stored.
"""
from __future__ import annotations

import hmac
import logging

from flask import Blueprint, abort, request

from gateway import context, routes
from gateway.africastalking import sms, ussd, voice

log = logging.getLogger(__name__)

ROUTES = (
    ("POST", "/ussd", ussd.ussd_hop),
    ("POST", "/ussd/events", ussd.ussd_session_ended),
    ("POST", "/sms", sms.inbound_sms),
    ("POST", "/sms/delivery", sms.sms_delivery_report),
    ("POST", "/sms/optout", sms.sms_opt_out),
    ("POST", "/voice", voice.voice),
)


def blueprint() -> Blueprint:
    return routes.blueprint("africastalking", __name__, ROUTES, url_prefix="/africastalking", before=check_token)


def check_token():
    expected = context.settings().at_webhook_token
    if expected is None:
        return None  # development only: create_app warned at start-up
    given = request.args.get("token", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        log.warning("Africa's Talking callback refused: bad or missing token", extra={"path": request.path})
        abort(403, description="missing or wrong token")
    return None
