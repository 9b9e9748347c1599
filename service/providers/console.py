"""The embedded default: 'sends' by writing the message to the log; the outbox row records it as sent. It places no
calls and gets no delivery reports."""
from __future__ import annotations

import logging

from service.providers.base import Outgoing, PermanentSendError, PlacedCall, Receipt

NAME = "console"
STATUSES: dict[str, str | None] = {}

log = logging.getLogger("kheti.sms.console")


class Console:
    name = NAME
    sender_id = dlt_header = None
    rate_limited = False  # nothing is sent: no allowance to respect

    def send(self, message: Outgoing) -> Receipt:
        log.info("SMS to %s (%d segment(s), %s): %s", message.phone, message.segments, message.encoding, message.body,
                 extra={"outbound_id": message.id, "purpose": message.purpose,
                        "dlt_template_id": message.template_id, "dlt_entity_id": message.dlt_entity_id})
        return Receipt(provider=NAME, provider_message_id=f"console-{message.id}", status="sent")

    def place_call(self, to: str, line: str | None) -> PlacedCall:
        raise PermanentSendError("no call-backs over console")

    def bridge(self, agent: str, farmer: str) -> PlacedCall:
        raise PermanentSendError("no calls over the console sender: set SMS_PROVIDER to twilio or africastalking")
