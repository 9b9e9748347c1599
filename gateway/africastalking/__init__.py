"""Africa's Talking: USSD (and, with later issues, SMS and voice) callbacks.

AT does not sign its callbacks, so every /africastalking/* URL must carry the secret AT_WEBHOOK_TOKEN as ?token=
(compared in constant time); a request without it gets 403 before anything is read or stored.
"""
from __future__ import annotations

import hmac
import logging

from flask import Blueprint, abort, current_app, request

from gateway.inputs import required  # noqa: F401  (the routes of this package use it from here)

log = logging.getLogger(__name__)
bp = Blueprint("africastalking", __name__, url_prefix="/africastalking")


@bp.before_request
def _check_token():
    expected = current_app.config["KHETI_SETTINGS"].at_webhook_token
    if expected is None:
        return None  # development only: create_app warned at start-up
    given = request.args.get("token", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        log.warning("Africa's Talking callback refused: bad or missing token", extra={"path": request.path})
        abort(403, description="missing or wrong token")
    return None


from gateway.africastalking import delivery, sms, ussd, voice  # noqa: E402,F401  (routes register on bp)
