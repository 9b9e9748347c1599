"""SMS over Plivo: POST /plivo/sms (a message to our number) and /plivo/sms/status (the `url` given when sending).

A message is answered through the outbox, as on Africa's Talking, not inline: the reply to an Indian number needs
its DLT template and ids, which only the outbox's rules and the sender add. Plivo's answer is an empty Response.
Delivery reports name the message by MessageUUID (ParentMessageUUID for the parts of a long one: the uuid the send
was given, which is what we stored); ErrorCode 200 means the recipient replied STOP, so the farmer is opted out as
well as the message marked. With the database away, both are kept in Redis and replayed (service.spool).
"""
from __future__ import annotations

from flask import Response, request
from plivo import plivoxml

from farmdb.models import InboundMessage, OutboundMessage
from gateway import context
from gateway.errors import DATABASE_DOWN
from gateway.forms import phone, read, sender_phone, usable_phone, value, words
from gateway.inbox import answer_sms
from gateway.plivo.numbers import with_plus
from service.providers.plivo import NAME, STOPPED
from service.receipts import take_report
from service.sms_inbox import Inbound
from service.spool import park

NO_ERROR = ("", "000")  # Plivo's ErrorCode on a message that did not fail

# What Plivo posts, field by field, bounded by the columns the values go in (gateway.forms); Units, TotalRate,
# TotalAmount, MessageIntent and the rest are not ours to keep.
MESSAGE = (value("MessageUUID", InboundMessage.provider_message_id, required=True),
           phone("From", required=True), phone("To"), words("Text"))
STATUS = (value("MessageUUID", OutboundMessage.provider_message_id, required=True),
          value("ParentMessageUUID", OutboundMessage.provider_message_id),
          value("Status", OutboundMessage.provider_status, required=True),
          value("ErrorCode", limit=16, drop_bad=True), phone("To"))


def inbound_sms():
    form = read(request.form, MESSAGE)
    sender = sender_phone(with_plus(form["From"]), "From")
    inbound = Inbound(provider=NAME, provider_message_id=form["MessageUUID"], phone=sender,
                      to=with_plus(form["To"]) or None, text=form["Text"], send_reply=True)
    try:
        answer_sms(inbound)
    except DATABASE_DOWN:
        # Kept in Redis rather than left to Plivo to post again: answered by SMS once the database is back.
        if not park(context.service().backends.redis, "inbound_sms", inbound):
            raise  # Redis is away too: 503 (gateway.errors)
    return Response(plivoxml.ResponseElement().to_string(pretty=False), mimetype="application/xml")


def sms_status():
    form = read(request.form, STATUS)
    error = None if form["ErrorCode"] in NO_ERROR else form["ErrorCode"]
    stopped = usable_phone(with_plus(form["To"]), "Plivo STOP (200)") if error == STOPPED else None
    report = dict(provider=NAME, provider_message_id=form["ParentMessageUUID"] or form["MessageUUID"],
                  provider_status=form["Status"], error=error, stopped=stopped)
    backends = context.service().backends
    try:
        take_report(backends, **report)
    except DATABASE_DOWN:
        if not park(backends.redis, "delivery_report", report):
            raise
    return "", 200  # Plivo wants a 2xx
