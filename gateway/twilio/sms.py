"""Inbound SMS over Twilio: POST /twilio/sms, answered inline with TwiML (MessagingResponse)."""
from __future__ import annotations

import logging

from flask import Response, current_app, request
from twilio.twiml.messaging_response import MessagingResponse

from gateway import sms_inbox
from gateway.inputs import MAX_TEXT, clean, required, sender_phone
from gateway.twilio import bp

log = logging.getLogger(__name__)


@bp.post("/sms")
def inbound_sms():
    form = request.form
    required(form, "MessageSid", "From")
    phone = sender_phone(form["From"], "From")
    text = clean(form.get("Body", ""))[:MAX_TEXT]
    reply = sms_inbox.handle_or_busy(current_app.extensions["kheti_conversations"], sms_inbox.Inbound(
        provider="twilio", provider_message_id=form["MessageSid"], phone=phone, to=form.get("To"), text=text))
    twiml = MessagingResponse()
    if reply:
        twiml.message(reply)
    return Response(str(twiml), mimetype="application/xml")
