"""Twilio, outbound: SMS, calls, and what its status callbacks mean. Through its SDK (twilio 9.x):
`client.messages.create(to, body, from_ | messaging_service_sid)` and `client.calls.create(...)`.

The SDK's default HTTP client has no timeout: ours is built with one, once per Service, and keeps its connection pool.
"""
from __future__ import annotations

from contextlib import contextmanager

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from service.providers.base import Outgoing, PermanentSendError, PlacedCall, Receipt, RetryableSendError

NAME = "twilio"

# Seconds, connect and read alike (TwilioHttpClient takes one number). A read timeout may come after Twilio took the
# message: retrying it is the documented at-least-once window.
TIMEOUT_S = 10
RING_S = 30  # how long Twilio lets the farmer's phone ring when we call back
CALL_EVENTS = ["initiated", "ringing", "answered", "completed"]

# Twilio error codes worth a name in last_error; every 4xx but 429 is permanent whatever its code.
PERMANENT_CODES = {
    21211: "invalid To number",
    21408: "region not enabled",
    21610: "recipient unsubscribed (STOP)",
    21614: "To is not a mobile number",
}
STOPPED = "21610"  # "Attempt to send to unsubscribed recipient": the farmer replied STOP

# message.status on creation -> our status after the hand-over. Anything unknown counts as queued at Twilio.
SENT = frozenset({"sent", "delivered", "read", "partially_delivered"})
REFUSED = frozenset({"failed", "undelivered", "canceled"})

# Status callback `MessageStatus` -> ours. None: a status of inbound messages, which says nothing about ours.
STATUSES = {
    "accepted": "queued", "scheduled": "queued", "queued": "queued",
    "sending": "sending",  # Twilio is handing it to the carrier: not yet "sent", which is the carrier's acceptance
    "sent": "sent",
    # Some parts arrived, not all: not a delivery we can claim, and a final word may still come.
    "partially_delivered": "sent",
    "delivered": "delivered", "read": "delivered",
    "undelivered": "undelivered", "failed": "failed",
    "canceled": "failed",  # a scheduled message withdrawn before sending: it will never arrive
    "receiving": None, "received": None,
}


class Twilio:
    name = NAME
    rate_limited = True
    dlt_header = None  # Twilio matches the templates registered in its console

    def __init__(self, account_sid: str, auth_token: str, sender: str | None = None, *,
                 public_base_url: str | None = None, timeout: float = TIMEOUT_S):
        self._client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
        # A messaging service (MG...) picks the number itself; anything else is the number we send from.
        self.sender_id = sender or None
        self._sender = {} if not sender else \
            {"messaging_service_sid": sender} if sender.startswith("MG") else {"from_": sender}
        self._base_url = public_base_url

    def send(self, message: Outgoing) -> Receipt:
        # message.template_id (India DLT) is not sent: Twilio matches the templates registered in its console.
        if not self._sender:
            raise PermanentSendError("TWILIO_FROM must be set to send SMS over twilio")
        extra = {"status_callback": f"{self._base_url}/twilio/sms/status"} if self._base_url else {}
        with twilio_errors():
            created = self._client.messages.create(to=message.phone, body=message.body, **self._sender, **extra)
        status = created.status
        if status in REFUSED:
            code = f" {created.error_code}" if created.error_code else ""
            raise PermanentSendError(f"Twilio {status}{code} at creation ({created.sid})")
        return Receipt(provider=NAME, provider_message_id=created.sid,
                       status="sent" if status in SENT else "queued", provider_status=status)

    def place_call(self, to: str, line: str | None) -> PlacedCall:
        """Ring `to` from `line` (the number the farmer rang); Twilio fetches the call's instructions from our voice
        webhook and reports its progress to the status one."""
        if not self._base_url:
            raise PermanentSendError("PUBLIC_BASE_URL must be set to call back over twilio")
        if not line:
            raise PermanentSendError("Twilio: the ring has no line to call back from")
        with twilio_errors():
            call = self._client.calls.create(
                to=to, from_=line, url=f"{self._base_url}/twilio/voice", method="POST",
                status_callback=f"{self._base_url}/twilio/voice/status", status_callback_method="POST",
                status_callback_event=CALL_EVENTS, timeout=RING_S)
        return PlacedCall(call.sid, line)


    def bridge(self, agent: str, farmer: str) -> PlacedCall:
        """Ring the agronomist from our number; their call's instructions travel with it (TwiML): dial the farmer,
        showing our number, not the agronomist's."""
        line = self.sender_id if self.sender_id and self.sender_id.startswith("+") else None
        if line is None:
            raise PermanentSendError("TWILIO_FROM must be our voice number (+...) to connect calls over twilio")
        answer = VoiceResponse()
        answer.dial(caller_id=line, timeout=RING_S).number(farmer)
        with twilio_errors():
            call = self._client.calls.create(to=agent, from_=line, twiml=str(answer), timeout=RING_S)
        return PlacedCall(call.sid, line)


@contextmanager
def twilio_errors():
    """Twilio's failures as ours: retryable (timeouts, connection errors, 5xx, 429) or permanent (the rest)."""
    try:
        yield
    except TwilioRestException as exc:
        raise rest_error(exc) from None
    except requests.Timeout as exc:  # ConnectTimeout is also a ConnectionError: keep this first
        raise RetryableSendError(f"Twilio timed out: {type(exc).__name__}") from None
    except requests.RequestException as exc:
        raise RetryableSendError(f"Twilio unreachable: {type(exc).__name__}") from None
    except TwilioException as exc:  # the SDK's own complaints (credentials, arguments): retrying changes nothing
        raise PermanentSendError(f"Twilio: {exc}") from None


def rest_error(exc: TwilioRestException) -> Exception:
    status, named = exc.status or 0, PERMANENT_CODES.get(exc.code)
    reason = f"Twilio HTTP {status} code {exc.code}: {named or ' '.join(str(exc.msg).split())[:200]}"
    if status == 429 or status >= 500:
        return RetryableSendError(reason)
    return PermanentSendError(reason)
