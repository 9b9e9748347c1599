"""The providers' outbound side, one module each with the same shape (NAME, STATUSES for its delivery reports, a
class with `send` and `place_call` and what only it knows: its sender id, DLT header, rate allowance): Africa's
Talking, Twilio, Plivo, and the console of the embedded default. Their inbound side (webhooks) is in
gateway/<provider>/. Adding a provider: a module here, a package there, and a table of its recorded payloads.

`provider_for(settings, name)` builds one from the settings; the Service keeps it built once (SDK clients keep their
connection pools), and building does no network I/O, so start-up builds the SMS provider to refuse an unusable
configuration early.
"""
from __future__ import annotations

from types import MappingProxyType

from service.providers import africastalking, console, plivo, twilio
from service.providers.base import (
    Outgoing, PermanentSendError, PlacedCall, Provider, Receipt, RetryableSendError, SendError,
)
from service.settings import Settings

__all__ = ["Outgoing", "PermanentSendError", "PlacedCall", "Provider", "Receipt", "RetryableSendError", "SendError",
           "STATUSES", "provider_for"]

MODULES = (africastalking, twilio, plivo, console)
# Each provider's delivery-report words -> ours, by the provider name receipts carry.
STATUSES = MappingProxyType({module.NAME: module.STATUSES for module in MODULES})


def provider_for(settings: Settings, name: str) -> Provider:
    """The named provider from the settings. Raises PermanentSendError naming the settings it lacks."""
    missing = settings.missing_for(name)
    if missing:
        raise PermanentSendError(f"{' and '.join(missing)} must be set to use {name}")
    if name == africastalking.NAME:
        return africastalking.AfricasTalking(settings.at_username, settings.at_api_key, settings.at_sender_id,
                                             voice_number=settings.at_voice_number)
    if name == twilio.NAME:
        return twilio.Twilio(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_from,
                             public_base_url=settings.public_base_url)
    if name == plivo.NAME:
        return plivo.Plivo(settings.plivo_auth_id, settings.plivo_auth_token, settings.plivo_from,
                           voice_number=settings.plivo_voice_number, entity_id=settings.dlt_entity_id,
                           public_base_url=settings.public_base_url)
    if name == console.NAME:
        return console.Console()
    raise PermanentSendError(f"no provider {name!r}")
