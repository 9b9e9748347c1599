"""Twilio SMS through its SDK (twilio 9.x): `client.messages.create(to, body, from_ | messaging_service_sid)`.

The SDK's default HTTP client has no timeout: ours is built with one, once per process, and keeps its connection pool.
"""
from __future__ import annotations

from contextlib import contextmanager

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from workers.delivery import TWILIO
from workers.sending import Outgoing
from workers.senders import PermanentSendError, Receipt, RetryableSendError

# Seconds, connect and read alike (TwilioHttpClient takes one number). A read timeout may come after Twilio took the
# message: retrying it is the documented at-least-once window.
TIMEOUT_S = 10

# Twilio error codes worth a name in last_error; every 4xx but 429 is permanent whatever its code.
PERMANENT_CODES = {
    21211: "invalid To number",
    21408: "region not enabled",
    21610: "recipient unsubscribed (STOP)",
    21614: "To is not a mobile number",
}

# message.status on creation -> our status after the hand-over. Anything unknown counts as queued at Twilio.
SENT = frozenset({"sent", "delivered", "read", "partially_delivered"})
REFUSED = frozenset({"failed", "undelivered", "canceled"})


class TwilioSender:
    name = TWILIO

    def __init__(self, account_sid: str, auth_token: str, sender: str, *, public_base_url: str | None = None,
                 timeout: float = TIMEOUT_S):
        self._client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
        # A messaging service (MG...) picks the number itself; anything else is the number we send from.
        self._sender = {"messaging_service_sid": sender} if sender.startswith("MG") else {"from_": sender}
        self._status_callback = f"{public_base_url}/twilio/sms/status" if public_base_url else None

    def send(self, message: Outgoing) -> Receipt:
        # message.template_id (India DLT) is not sent: the API has no field for it (see workers.senders).
        extra = {"status_callback": self._status_callback} if self._status_callback else {}
        with twilio_errors():
            created = self._client.messages.create(to=message.phone, body=message.body, **self._sender, **extra)
        status = created.status
        if status in REFUSED:
            code = f" {created.error_code}" if created.error_code else ""
            raise PermanentSendError(f"Twilio {status}{code} at creation ({created.sid})")
        return Receipt(provider=TWILIO, provider_message_id=created.sid,
                       status="sent" if status in SENT else "queued", provider_status=status)


@contextmanager
def twilio_errors():
    """Twilio's failures as ours: retryable (timeouts, connection errors, 5xx, 429) or permanent (the rest). Shared
    with the voice call-backs (workers.calls)."""
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
