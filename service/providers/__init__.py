"""The providers' outbound side, one module each with the same shape (NAME, STATUSES, a class with `send` and
`place_call`): Africa's Talking, Twilio, and the console of the embedded default. Their inbound side (webhooks) is
in gateway/<provider>/. Adding a provider: a module here, a package there, and a table of its recorded payloads.

`carrier_for(settings, name)` builds one from the settings; the Service keeps it built once (SDK clients keep their
connection pools), and building does no network I/O, so start-up builds the SMS provider to refuse an unusable
configuration early.
"""
from __future__ import annotations

from types import MappingProxyType

from service.providers import africastalking, console, twilio
from service.providers.base import (
    Carrier, Outgoing, PermanentSendError, PlacedCall, Receipt, RetryableSendError, SendError,
)
from service.settings import Settings

__all__ = ["Carrier", "Outgoing", "PermanentSendError", "PlacedCall", "Receipt", "RetryableSendError", "SendError",
           "STATUSES", "carrier_for"]

MODULES = (africastalking, twilio, console)
# Each provider's delivery-report words -> ours, by the provider name receipts carry.
STATUSES = MappingProxyType({module.NAME: module.STATUSES for module in MODULES})

# What a provider needs before it can do anything (sending also needs TWILIO_FROM: the settings check that).
_CREDENTIALS = {africastalking.NAME: ("AT_USERNAME", "AT_API_KEY"),
                twilio.NAME: ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")}


def carrier_for(settings: Settings, name: str) -> Carrier:
    """The named provider from the settings. Raises PermanentSendError naming the settings it lacks."""
    missing = [variable for variable in _CREDENTIALS.get(name, ()) if not getattr(settings, variable.lower())]
    if missing:
        raise PermanentSendError(f"{' and '.join(missing)} must be set to use {name}")
    if name == africastalking.NAME:
        return africastalking.AfricasTalking(settings.at_username, settings.at_api_key, settings.at_sender_id,
                                             voice_number=settings.at_voice_number)
    if name == twilio.NAME:
        return twilio.Twilio(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_from,
                             public_base_url=settings.public_base_url)
    if name == console.NAME:
        return console.Console()
    raise PermanentSendError(f"no provider {name!r}")
