"""SMS over Africa's Talking: POST /africastalking/sms (a message: from, to, text, date, id, linkId, networkCode),
/sms/delivery (a delivery report: id, status, failureReason) and /sms/optout (a recipient opted out of bulk SMS).

AT wants a fast 200; the reply goes out through the outbox and the workers, as AT expects (not in the response).
AT re-sends reports and opt-outs until it gets a 200, so both are idempotent and answer "OK".
"""
from __future__ import annotations

import logging

from flask import Response, request

from farmdb.phones import InvalidPhoneNumber, to_e164
from gateway import context
from gateway.forms import MAX_TEXT, clean, required, sender_phone
from gateway.inbox import answer_sms
from service.providers.africastalking import NAME
from service.receipts import opt_out, take_receipt
from service.sms_inbox import Inbound

log = logging.getLogger(__name__)


def _ok() -> Response:
    return Response("OK", mimetype="text/plain")


def inbound_sms():
    form = request.form
    required(form, "from", "id")
    phone = sender_phone(form["from"], "from")
    text = clean(form.get("text", ""))
    if len(text) > MAX_TEXT:
        log.warning("inbound SMS of %d characters cut to %d", len(text), MAX_TEXT)
        text = text[:MAX_TEXT]
    answer_sms(Inbound(provider=NAME, provider_message_id=form["id"], phone=phone, to=form.get("to"), text=text,
                       link_id=form.get("linkId") or None, send_reply=True))
    return _ok()


def sms_delivery_report():
    form = request.form
    required(form, "id", "status")
    take_receipt(context.service().backends, provider=NAME, provider_message_id=form["id"],
                 provider_status=form["status"], error=form.get("failureReason") or None)
    return _ok()


def sms_opt_out():
    form = request.form
    required(form, "phoneNumber")
    try:
        phone = to_e164(form["phoneNumber"], context.settings().default_region)
    except InvalidPhoneNumber as exc:
        log.warning("AT opt-out with an unusable phone number: %s", exc)
        return _ok()  # an error would only make AT re-send the same unusable number
    with context.service().backends.sessions() as db, db.begin():
        opt_out(db, phone, "sms", f"africastalking opt-out (sender {form.get('senderId') or 'unknown'})")
    return _ok()
