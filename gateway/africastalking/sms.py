"""SMS over Africa's Talking: POST /africastalking/sms (a message: from, to, text, date, id, linkId, networkCode),
/sms/delivery (a delivery report: id, status, failureReason) and /sms/optout (a recipient opted out of bulk SMS).

AT wants a fast 200; the reply goes out through the outbox and the workers, as AT expects (not in the response).
AT re-sends reports and opt-outs until it gets a 200, so both are idempotent and answer "OK".
"""
from __future__ import annotations

import logging

from flask import Response, request

from farmdb.models import InboundMessage, OutboundMessage
from farmdb.phones import InvalidPhoneNumber, to_e164
from gateway import context
from gateway.forms import phone, read, sender_phone, value, words
from gateway.inbox import answer_sms
from service.providers.africastalking import NAME
from service.receipts import opt_out, take_receipt
from service.sms_inbox import Inbound

log = logging.getLogger(__name__)


def _ok() -> Response:
    return Response("OK", mimetype="text/plain")


# What AT posts, field by field, bounded by the columns the values go in (gateway.forms).
MESSAGE = (value("id", InboundMessage.provider_message_id, required=True), phone("from", required=True),
           phone("to"), words("text"), value("linkId", InboundMessage.link_id))
REPORT = (value("id", OutboundMessage.provider_message_id, required=True),
          value("status", OutboundMessage.provider_status, required=True),
          value("failureReason", limit=64, drop_bad=True))  # AT's word for it: UserInBlackList, ...
OPT_OUT = (phone("phoneNumber", required=True),
           words("senderId", limit=32))  # only named in the log: an opt-out is never refused over it


def inbound_sms():
    form = read(request.form, MESSAGE)
    sender = sender_phone(form["from"], "from")
    answer_sms(Inbound(provider=NAME, provider_message_id=form["id"], phone=sender, to=form["to"] or None,
                       text=form["text"], link_id=form["linkId"] or None, send_reply=True))
    return _ok()


def sms_delivery_report():
    form = read(request.form, REPORT)
    take_receipt(context.service().backends, provider=NAME, provider_message_id=form["id"],
                 provider_status=form["status"], error=form["failureReason"] or None)
    return _ok()


def sms_opt_out():
    form = read(request.form, OPT_OUT)
    try:
        number = to_e164(form["phoneNumber"], context.settings().default_region)
    except InvalidPhoneNumber as exc:
        log.warning("AT opt-out with an unusable phone number: %s", exc)
        return _ok()  # an error would only make AT re-send the same unusable number
    with context.service().backends.sessions() as db, db.begin():
        opt_out(db, number, "sms", f"africastalking opt-out (sender {form['senderId'] or 'unknown'})")
    return _ok()
