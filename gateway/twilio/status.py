"""Twilio SMS status callback: POST /twilio/sms/status (the `status_callback` given when sending).

Twilio does not re-send these, and ignores the body; error 21610 means the recipient replied STOP, so the farmer is
opted out as well as the message marked.
"""
from __future__ import annotations

import logging

from flask import abort, current_app, request

from farmdb.phones import InvalidPhoneNumber, to_e164
from gateway.twilio import bp
from workers.delivery import TWILIO, opt_out, take_receipt

log = logging.getLogger(__name__)

STOPPED = "21610"  # "Attempt to send to unsubscribed recipient"


@bp.post("/sms/status")
def sms_status():
    form = request.form
    for name in ("MessageSid", "MessageStatus"):
        if name not in form:
            abort(400, description=f"missing form field: {name}")
    error = form.get("ErrorCode") or None
    backends = current_app.extensions["kheti"]
    take_receipt(backends, provider=TWILIO, provider_message_id=form["MessageSid"],
                 provider_status=form["MessageStatus"], error=error)
    if error == STOPPED:
        with backends.sessions() as db, db.begin():
            _opt_out(db, form.get("To", ""))
    return "", 204


def _opt_out(db, raw_phone: str) -> None:
    try:
        phone = to_e164(raw_phone, current_app.config["KHETI_SETTINGS"].default_region)
    except InvalidPhoneNumber as exc:
        log.warning("Twilio STOP (21610) with an unusable To number: %s", exc)
        return
    opt_out(db, phone, "sms", f"twilio error {STOPPED}: recipient replied STOP")
