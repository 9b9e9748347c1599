"""SMS senders: one module per provider, each a `send(message) -> Receipt`."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from farmdb.models import OutboundMessage
from gateway.settings import Settings, SettingsError


@dataclass(frozen=True)
class Receipt:
    provider: str
    provider_message_id: str
    status: str  # our status after the hand-over: "sent" or "queued" at the provider
    provider_status: str | None = None
    cost: Decimal | None = None
    cost_currency: str | None = None


class Sender(Protocol):
    name: str

    def send(self, message: OutboundMessage) -> Receipt: ...


def sender_for(settings: Settings) -> Sender:
    if settings.sms_provider == "console":
        from workers.senders.console import ConsoleSender
        return ConsoleSender()
    # Refuse at start-up rather than leave messages stuck in "sending" at run time.
    raise SettingsError("SMS_PROVIDER", f"sending through {settings.sms_provider} is not built yet; use console")
