"""The embedded default: 'sends' by writing the message to the log; the outbox row records it as sent."""
from __future__ import annotations

import logging

from workers.senders import Receipt

log = logging.getLogger("kheti.sms.console")


class ConsoleSender:
    name = "console"

    def send(self, message) -> Receipt:
        log.info("SMS to %s (%d segment(s), %s): %s", message.phone, message.segments, message.encoding, message.body,
                 extra={"outbound_id": message.id, "purpose": message.purpose,
                        "dlt_template_id": message.template_id, "dlt_entity_id": message.dlt_entity_id})
        return Receipt(provider=self.name, provider_message_id=f"console-{message.id}", status="sent")
