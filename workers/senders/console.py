"""The embedded default: 'sends' by writing the message to the log; the outbox row records it as sent."""
from __future__ import annotations

import logging

from farmdb.models import OutboundMessage
from workers.senders import Receipt

log = logging.getLogger("kheti.sms.console")


class ConsoleSender:
    name = "console"

    def send(self, message: OutboundMessage) -> Receipt:
        log.info("SMS to %s (%d segment(s), %s): %s", message.phone, message.segments, message.encoding, message.body,
                 extra={"outbound_id": message.id, "purpose": message.purpose})
        return Receipt(provider=self.name, provider_message_id=f"console-{message.id}", status="sent")
