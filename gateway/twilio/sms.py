"""SMS over Twilio: POST /twilio/sms (a message, answered inline with TwiML: MessagingResponse) and /twilio/sms/status
(the `status_callback` given when sending).

Twilio does not re-send status callbacks, and ignores their body; error 21610 means the recipient replied STOP, so
the farmer is opted out as well as the message marked.
"""
from __future__ import annotations

import logging

from flask import Response, request
from twilio.twiml.messaging_response import MessagingResponse

from farmdb.phones import InvalidPhoneNumber, to_e164
from gateway import context
from gateway.forms import MAX_TEXT, clean, required, sender_phone
from gateway.inbox import answer_sms
from service.providers.twilio import NAME, STOPPED
from service.receipts import opt_out, take_receipt
from service.sms_inbox import Inbound

log = logging.getLogger(__name__)


def inbound_sms():
    form = request.form
    required(form, "MessageSid", "From")
    phone = sender_phone(form["From"], "From")
    text = clean(form.get("Body", ""))[:MAX_TEXT]
    reply = answer_sms(Inbound(provider=NAME, provider_message_id=form["MessageSid"], phone=phone, to=form.get("To"),
                               text=text))
    twiml = MessagingResponse()
    if reply:
        twiml.message(reply)
    return Response(str(twiml), mimetype="application/xml")


def sms_status():
    form = request.form
    required(form, "MessageSid", "MessageStatus")
    error = form.get("ErrorCode") or None
    backends = context.service().backends
    take_receipt(backends, provider=NAME, provider_message_id=form["MessageSid"],
                 provider_status=form["MessageStatus"], error=error)
    if error == STOPPED:
        with backends.sessions() as db, db.begin():
            _opt_out(db, form.get("To", ""))
    return "", 204


def _opt_out(db, raw_phone: str) -> None:
    try:
        phone = to_e164(raw_phone, context.settings().default_region)
    except InvalidPhoneNumber as exc:
        log.warning("Twilio STOP (21610) with an unusable To number: %s", exc)
        return
    opt_out(db, phone, "sms", f"twilio error {STOPPED}: recipient replied STOP")
