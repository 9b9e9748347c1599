"""Simulated phones: the numbers the console's phone (and training) use, and exactly what a provider posts for
them.

A simulated phone must never make the service send a real SMS or ring a real person: its number comes from the
reserved range SIMULATOR_NUMBERS, and the outbox, the sender and the call-back path keep anything for such a number
to themselves (shown in the console, never handed to a provider). The form builders are the providers' own field
names, shared by the console's phone and the terminal simulator (simulator/), so both post what the provider would.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from twilio.request_validator import RequestValidator

NOT_SENT = "simulated phone: shown in the console, not sent"
_NUMBER = re.compile(r"\+\d{6,15}")
MAX_NUMBERS = 100_000


@dataclass(frozen=True)
class NumberRange:
    """+919999900000-+919999900099: every number between the two, both included, of the same length."""
    first: int
    last: int
    digits: int

    def __contains__(self, phone: object) -> bool:
        if not isinstance(phone, str) or not _NUMBER.fullmatch(phone) or len(phone) - 1 != self.digits:
            return False
        return self.first <= int(phone[1:]) <= self.last

    def __len__(self) -> int:
        return self.last - self.first + 1

    def number(self, n: int) -> str:
        """The n-th number of the range, wrapping round (an operator's id picks theirs)."""
        return "+" + str(self.first + n % len(self)).zfill(self.digits)

    def __str__(self) -> str:
        return f"{self.number(0)}-{self.number(len(self) - 1)}"


def number_range(raw: str) -> NumberRange:
    """SIMULATOR_NUMBERS' parser."""
    first, dash, last = raw.strip().partition("-")
    first, last = first.strip(), (last.strip() if dash else first.strip())
    if not (_NUMBER.fullmatch(first) and _NUMBER.fullmatch(last)):
        raise ValueError(f"{raw!r}: write a range of numbers as +919999900000-+919999900099")
    if len(first) != len(last):
        raise ValueError(f"{raw!r}: both ends of the range must have as many digits")
    low, high = int(first[1:]), int(last[1:])
    if high < low:
        raise ValueError(f"{raw!r}: the range ends before it starts")
    if high - low + 1 > MAX_NUMBERS:
        raise ValueError(f"{raw!r}: at most {MAX_NUMBERS} numbers (a range that wide may hold real people)")
    return NumberRange(low, high, len(first) - 1)


def is_simulated(settings, phone: str | None) -> bool:
    return phone is not None and settings.simulator_numbers is not None and phone in settings.simulator_numbers


def operators_phone(settings, operator_id: int) -> str | None:
    """Each operator their own number, so two people training at once do not share a session; None when
    SIMULATOR_NUMBERS is not set (there is no range that is surely nobody's, so none is assumed)."""
    return settings.simulator_numbers.number(operator_id) if settings.simulator_numbers else None


# What the providers post, field for field.

def at_ussd_form(session_id: str, service_code: str, phone: str, network_code: str, text: str) -> dict[str, str]:
    """A USSD hop as Africa's Talking posts it: `text` is every input of the session joined by '*'."""
    return {"sessionId": session_id, "serviceCode": service_code, "phoneNumber": phone,
            "networkCode": network_code, "text": text}


def at_ussd_ended_form(session_id: str, service_code: str, phone: str, network_code: str, status: str,
                       duration_ms: int, hops: int, last_screen: str, inputs: str) -> dict[str, str]:
    """Africa's Talking's end-of-session notification (its "events callback"): Success when our END closed the
    session, Incomplete when the caller hung up first."""
    return {"sessionId": session_id, "serviceCode": service_code, "phoneNumber": phone, "networkCode": network_code,
            "status": status, "durationInMillis": str(duration_ms), "hopsCount": str(hops),
            "lastAppResponse": last_screen, "input": inputs, "errorMessage": "", "cost": "0.0"}


def at_sms_form(message_id: str, phone: str, to: str, text: str, date: str, network_code: str) -> dict[str, str]:
    return {"id": message_id, "from": phone, "to": to, "text": text, "date": date, "linkId": "",
            "networkCode": network_code}


def twilio_sms_form(message_sid: str, account_sid: str, phone: str, to: str, text: str) -> dict[str, str]:
    return {"MessageSid": message_sid, "SmsSid": message_sid, "AccountSid": account_sid, "From": phone, "To": to,
            "Body": text, "NumSegments": "1", "NumMedia": "0", "SmsStatus": "received", "ApiVersion": "2010-04-01"}


def twilio_signature(auth_token: str, url: str, form: dict[str, str]) -> str:
    """X-Twilio-Signature over the URL Twilio calls and the form it posts (the SDK's own computation)."""
    return RequestValidator(auth_token).compute_signature(url, form)


def twilio_call_form(call_sid: str, account_sid: str, phone: str, hotline: str, status: str) -> dict[str, str]:
    """A call to the hotline as Twilio posts it (the first request is "ringing", the turns "in-progress")."""
    return {"CallSid": call_sid, "AccountSid": account_sid, "From": phone, "To": hotline, "Caller": phone,
            "Called": hotline, "FromCountry": country(phone), "ToCountry": country(hotline), "CallStatus": status,
            "Direction": "inbound", "ApiVersion": "2010-04-01"}


def at_call_form(session_id: str, phone: str, hotline: str) -> dict[str, str]:
    """A call to the hotline as Africa's Talking posts it, on every step while it lasts."""
    return {"isActive": "1", "sessionId": session_id, "direction": "Inbound", "callerNumber": phone,
            "destinationNumber": hotline}


def country(number: str) -> str:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number)) or ""
    except phonenumbers.NumberParseException:
        return ""
