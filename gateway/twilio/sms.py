"""Inbound SMS over Twilio: POST /twilio/sms, answered inline with TwiML (MessagingResponse)."""
from __future__ import annotations

import logging

from flask import Response, abort, current_app, request
from twilio.twiml.messaging_response import MessagingResponse

from farmdb.phones import InvalidPhoneNumber, to_e164
from gateway import sms_inbox
from gateway.inputs import clean
from gateway.africastalking import required
from gateway.africastalking.sms import MAX_TEXT
from gateway.twilio import bp

log = logging.getLogger(__name__)


@bp.post("/sms")
def inbound_sms():
    form = request.form
    required(form, "MessageSid", "From")
    settings = current_app.config["KHETI_SETTINGS"]
    try:
        phone = to_e164(form["From"], settings.default_region)
    except InvalidPhoneNumber as exc:
        log.warning("inbound SMS refused: %s", exc)
        abort(400, description="invalid sender number in 'From'")
    text = clean(form.get("Body", ""))[:MAX_TEXT]
    reply = sms_inbox.handle(current_app.extensions["kheti_conversations"], sms_inbox.Inbound(
        provider="twilio", provider_message_id=form["MessageSid"], phone=phone, to=form.get("To"), text=text))
    twiml = MessagingResponse()
    if reply:
        twiml.message(reply)
    return Response(str(twiml), mimetype="application/xml")
