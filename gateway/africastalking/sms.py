"""Inbound SMS over Africa's Talking: POST /africastalking/sms (from, to, text, date, id, linkId, networkCode).

AT wants a fast 200; the reply goes out through the outbox and the workers, as AT expects (not in the response).
"""
from __future__ import annotations

import logging

from flask import Response, current_app, request

from gateway import sms_inbox
from gateway.inputs import MAX_TEXT, clean, sender_phone
from gateway.africastalking import bp, required

log = logging.getLogger(__name__)


@bp.post("/sms")
def inbound_sms():
    form = request.form
    required(form, "from", "id")
    phone = sender_phone(form["from"], "from")
    text = clean(form.get("text", ""))
    if len(text) > MAX_TEXT:
        log.warning("inbound SMS of %d characters cut to %d", len(text), MAX_TEXT)
        text = text[:MAX_TEXT]
    sms_inbox.handle_or_busy(current_app.extensions["kheti_conversations"], sms_inbox.Inbound(
        provider="africastalking", provider_message_id=form["id"], phone=phone, to=form.get("to"), text=text,
        link_id=form.get("linkId") or None, send_reply=True))
    return Response("OK", mimetype="text/plain")
