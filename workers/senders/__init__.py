"""SMS senders: one module per provider, each a `send(message) -> Receipt` that raises RetryableSendError or
PermanentSendError, so the send task decides what to do without knowing any provider's errors."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from gateway.settings import Settings, SettingsError
from workers.built_once import BuiltOnce

if TYPE_CHECKING:
    from workers.sending import Outgoing


@dataclass(frozen=True)
class Receipt:
    provider: str  # exactly the name delivery receipts look up: workers.delivery.AFRICASTALKING / TWILIO
    provider_message_id: str
    status: str  # our status after the hand-over: "sent" or "queued" at the provider
    provider_status: str | None = None
    cost: Decimal | None = None
    cost_currency: str | None = None


class SendError(Exception):
    """The provider did not take the message; `reason` is short, for the outbox row's last_error and the logs."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class RetryableSendError(SendError):
    """A later attempt may succeed: timeouts, connection errors, the provider's 5xx and 429."""


class PermanentSendError(SendError):
    """Sending this message again will fail again: an invalid or blacklisted number, a DND rejection, other 4xx."""


class Sender(Protocol):
    name: str

    def send(self, message: "Outgoing") -> Receipt: ...


_senders = BuiltOnce()


def sender_for(settings: Settings) -> Sender:
    """The configured sender, built once per process and configuration (SDK clients keep their connection pools).
    Building does no network I/O, so start-up can call it to refuse an unusable configuration early."""
    return _senders.get_or_build(_key(settings), lambda: _build(settings))


def _key(settings: Settings) -> tuple:
    if settings.sms_provider == "africastalking":
        return ("africastalking", settings.at_username, settings.at_api_key, settings.at_sender_id)
    if settings.sms_provider == "twilio":
        return ("twilio", settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_from,
                settings.public_base_url)
    return (settings.sms_provider,)


def _build(settings: Settings) -> Sender:
    # India's DLT template and entity ids travel on each message (Outgoing.template_id, .dlt_entity_id) for senders
    # whose API takes them (Indian aggregators do). Neither Africa's Talking's nor Twilio's has a field for them:
    # Twilio matches the templates registered in its console, and the console sender logs them.
    if settings.sms_provider == "africastalking":
        from workers.senders.africastalking import AfricasTalkingSender
        return AfricasTalkingSender(settings.at_username, settings.at_api_key, settings.at_sender_id)
    if settings.sms_provider == "twilio":
        from workers.senders.twilio import TwilioSender
        return TwilioSender(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_from,
                            public_base_url=settings.public_base_url)
    if settings.sms_provider == "console":
        from workers.senders.console import ConsoleSender
        return ConsoleSender()
    raise SettingsError("SMS_PROVIDER", f"no sender for {settings.sms_provider!r}")
