"""SMS over Twilio: POST /twilio/sms (a message, answered inline with TwiML: MessagingResponse) and /twilio/sms/status
(the `status_callback` given when sending).

Twilio does not re-send status callbacks, and ignores their body; error 21610 means the recipient replied STOP, so
the farmer is opted out as well as the message marked.
"""
from __future__ import annotations

from flask import Response, request
from twilio.twiml.messaging_response import MessagingResponse

from farmdb.models import InboundMessage, OutboundMessage
from gateway import context
from gateway.errors import DATABASE_DOWN
from gateway.forms import phone, read, sender_phone, usable_phone, value, words
from gateway.inbox import answer_sms
from service.providers.twilio import NAME, STOPPED
from service.receipts import take_report
from service.sms_inbox import Inbound
from service.spool import park

# What Twilio posts, field by field, bounded by the columns the values go in (gateway.forms).
MESSAGE = (value("MessageSid", InboundMessage.provider_message_id, required=True),
           phone("From", required=True), phone("To"), words("Body"))
STATUS = (value("MessageSid", OutboundMessage.provider_message_id, required=True),
          value("MessageStatus", OutboundMessage.provider_status, required=True),
          value("ErrorCode", limit=16, drop_bad=True), phone("To"))


def inbound_sms():
    form = read(request.form, MESSAGE)
    sender = sender_phone(form["From"], "From")
    inbound = Inbound(provider=NAME, provider_message_id=form["MessageSid"], phone=sender, to=form["To"] or None,
                      text=form["Body"])
    try:
        reply = answer_sms(inbound)
    except DATABASE_DOWN:
        # Twilio does not send a message again: kept in Redis, it is answered by SMS once the database is back.
        if not park(context.service().backends.redis, "inbound_sms", inbound):
            raise  # Redis is away too: 503 (gateway.errors)
        reply = None
    twiml = MessagingResponse()
    if reply:
        twiml.message(reply)
    return Response(str(twiml), mimetype="application/xml")


def sms_status():
    form = read(request.form, STATUS)
    error = form["ErrorCode"] or None
    report = dict(provider=NAME, provider_message_id=form["MessageSid"], provider_status=form["MessageStatus"],
                  error=error, stopped=usable_phone(form["To"], "Twilio STOP (21610)") if error == STOPPED else None)
    backends = context.service().backends
    try:
        take_report(backends, **report)
    except DATABASE_DOWN:
        if not park(backends.redis, "delivery_report", report):  # Twilio does not send a report again either
            raise
    return "", 204

