"""SMS callbacks from Africa's Talking: POST /africastalking/sms/delivery (delivery report) and /sms/optout (a
recipient opted out of bulk SMS). AT re-sends each until it gets a 200, so both are idempotent and answer "OK"."""
from __future__ import annotations

import logging

from flask import Response, current_app, request

from farmdb.phones import InvalidPhoneNumber, to_e164
from gateway.africastalking import bp, required
from workers.delivery import AFRICASTALKING, opt_out, take_receipt

log = logging.getLogger(__name__)


def _ok() -> Response:
    return Response("OK", mimetype="text/plain")


@bp.post("/sms/delivery")
def sms_delivery_report():
    form = request.form
    required(form, "id", "status")
    take_receipt(current_app.extensions["kheti"], provider=AFRICASTALKING, provider_message_id=form["id"],
                 provider_status=form["status"], error=form.get("failureReason") or None)
    return _ok()


@bp.post("/sms/optout")
def sms_opt_out():
    form = request.form
    required(form, "phoneNumber")
    try:
        phone = to_e164(form["phoneNumber"], current_app.config["KHETI_SETTINGS"].default_region)
    except InvalidPhoneNumber as exc:
        log.warning("AT opt-out with an unusable phone number: %s", exc)
        return _ok()  # an error would only make AT re-send the same unusable number
    with current_app.extensions["kheti"].sessions() as db, db.begin():
        opt_out(db, phone, "sms", f"africastalking opt-out (sender {form.get('senderId') or 'unknown'})")
    return _ok()
