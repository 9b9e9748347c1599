"""What every provider's outbound module gives and takes: a message to send, the receipt or the error that comes
back, a call placed. The send path and the call-backs decide what to do from these alone, knowing no provider."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class Outgoing:
    """An outbox row as a sender needs it, detached from the session that claimed it."""
    id: int
    phone: str
    body: str
    encoding: str
    segments: int
    category: str
    purpose: str
    template_id: str | None
    dlt_entity_id: str | None
    attempts: int


@dataclass(frozen=True)
class Receipt:
    provider: str  # exactly the name delivery receipts are looked up by: the provider module's NAME
    provider_message_id: str
    status: str  # our status after the hand-over: "sent" or "queued" at the provider
    provider_status: str | None = None
    cost: Decimal | None = None
    cost_currency: str | None = None


@dataclass(frozen=True)
class PlacedCall:
    call_id: str  # the provider's id for the call: what its voice webhooks will name
    line: str  # the number we call from


class SendError(Exception):
    """The provider did not take the message (or the call); `reason` is short, for the row's last_error and the
    logs."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class RetryableSendError(SendError):
    """A later attempt may succeed: timeouts, connection errors, the provider's 5xx and 429."""


class PermanentSendError(SendError):
    """Sending this again will fail again: an invalid or blacklisted number, a DND rejection, other 4xx, a missing
    setting."""


class Provider(Protocol):
    """One provider's outbound side, built from the settings. What its delivery reports mean is its module's
    STATUSES (service.providers.STATUSES gathers them)."""

    name: str
    sender_id: str | None  # the account's sender (id, number or service) its rate allowance belongs to
    dlt_header: str | None  # the registered header India's DLT sees on our messages, when we send with one
    rate_limited: bool  # False: no allowance to respect (the console)

    def send(self, message: Outgoing) -> Receipt: ...

    def place_call(self, to: str, line: str | None) -> PlacedCall: ...

    def bridge(self, agent: str, farmer: str) -> PlacedCall:
        """Ring `agent` (an agronomist) and, when they answer, connect them to `farmer`: the farmer is called by us
        and pays nothing, and the agronomist never needs to see the number."""
        ...
