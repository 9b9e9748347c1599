"""Plivo, outbound: SMS with India's DLT identifiers, calls, and what its delivery reports mean. Through its SDK
(plivo 4.x): `client.messages.create(src, dst, text, url, dlt_entity_id, dlt_template_id, dlt_template_category)`
and `client.calls.create(from_, to_, answer_url, hangup_url)`.

India's operators drop an SMS without its DLT entity and template ids: every message to +91 carries the template the
outbox matched it to (service.dlt), its entity (the template row's, else DLT_ENTITY_ID) and its category.

One message per request. Plivo takes up to 1,000 destinations of one text in a request, but answers with a list of
message uuids that does not say which is whose (it drops duplicates and invalid numbers first), so a delivery report
could not be put on the right row; and a bulk request is dequeued at the account's own rate, so it sends no faster.

Calls carry a reference of ours and what they are for in their answer and hangup URLs (`?call=...&kind=callback`
or `kind=bridge`): Plivo's API answers a new call with a request uuid, and its webhooks name the call by another
(CallUUID), so the reference is what ties a placed call to its log row and, for the expert desk's bridge, to the
farmer to connect. The URL is covered by Plivo's signature, so neither can be forged.

A call is created with one request and no more: the SDK's `calls.create` posts the same call up to three times when
Plivo answers 5xx (and prints to stdout), and a 5xx does not prove the call was not placed; a phone rung three times
under one reference would muddle its log. Our own retries (workers/calls.py) decide what to do after a failure.
"""
from __future__ import annotations

import re
import uuid
from contextlib import contextmanager

import requests
from plivo import RestClient
from plivo.exceptions import (
    AuthenticationError, ForbiddenError, GeoPermissionError, InvalidRequestError, PlivoRestError, PlivoServerError,
    ResourceNotFoundError, ValidationError,
)

from service.providers.base import Outgoing, PermanentSendError, PlacedCall, Receipt, RetryableSendError

NAME = "plivo"

TIMEOUT_S = 10  # seconds, connect and read alike (the SDK passes one number to requests)
RING_S = 30  # how long Plivo lets the farmer's (or the agronomist's) phone ring

# Delivery report `Status` -> ours. "rejected": Plivo refused it (a DLT mismatch, a blocked number): it never left.
STATUSES = {
    "queued": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "rejected": "failed",
    "received": None,  # a status of inbound messages, which says nothing about ours
}
# Report `ErrorCode`s worth a name (plivo.com/docs/messaging/troubleshooting/error-codes); "200" means the farmer
# replied STOP to our sender, so they are opted out as well as the message marked.
ERROR_CODES = {
    "20": "network error", "30": "spam detected", "40": "invalid source number", "50": "invalid destination number",
    "70": "destination permanently unavailable", "80": "destination temporarily unavailable",
    "90": "no route available", "100": "prohibited by carrier", "110": "message too long",
    "200": "recipient unsubscribed (STOP)", "420": "message expired", "450": "destination country disabled",
    "900": "insufficient credit", "910": "account disabled", "1000": "unknown error",
}
STOPPED = "200"

_STATUS_CODE = re.compile(r"status code (\d{3})")


def digits(phone: str) -> str:
    """Plivo writes numbers as country code and number without the plus (919812345678)."""
    return phone.lstrip("+")


class Plivo:
    name = NAME
    rate_limited = True

    def __init__(self, auth_id: str, auth_token: str, sender: str | None = None, *, voice_number: str | None = None,
                 entity_id: str | None = None, public_base_url: str | None = None, timeout: float = TIMEOUT_S):
        self._client = RestClient(auth_id, auth_token, timeout=timeout)
        self.sender_id = sender or None
        # An alphanumeric sender is India's registered DLT header; a number is just a number.
        self.dlt_header = sender if sender and not sender.lstrip("+").isdigit() else None
        self.voice_number = voice_number or None
        self._entity_id = entity_id or None
        self._base_url = public_base_url

    def send(self, message: Outgoing) -> Receipt:
        if not self.sender_id:
            raise PermanentSendError("PLIVO_FROM must be set to send SMS over plivo")
        extra = {"url": f"{self._base_url}/plivo/sms/status", "method": "POST"} if self._base_url else {}
        if message.template_id:
            entity = message.dlt_entity_id or self._entity_id
            if not entity:
                raise PermanentSendError("DLT_ENTITY_ID must be set: template "
                                         f"{message.template_id} names no entity")
            extra.update(dlt_entity_id=entity, dlt_template_id=message.template_id,
                         dlt_template_category=message.category)
        with plivo_errors():
            answer = self._client.messages.create(src=digits(self.sender_id), dst=digits(message.phone),
                                                  text=message.body, type_="sms", **extra)
        uuids = list(getattr(answer, "message_uuid", None) or [])
        if len(uuids) != 1:
            refused = getattr(answer, "invalid_number", None)
            raise PermanentSendError(f"Plivo took no message{' (invalid number)' if refused else ''}")
        return Receipt(provider=NAME, provider_message_id=str(uuids[0]), status="queued", provider_status="queued")

    def place_call(self, to: str, line: str | None) -> PlacedCall:
        """Ring `to` from `line` (the number the farmer rang); Plivo fetches the call's instructions from our voice
        webhook when they answer and tells the status one when it ends."""
        if not self._base_url:
            raise PermanentSendError("PUBLIC_BASE_URL must be set to call back over plivo")
        line = line or self.voice_number
        if not line:
            raise PermanentSendError("Plivo: the ring has no line to call back from (PLIVO_VOICE_NUMBER)")
        return PlacedCall(self._call(to, line, "callback"), line)

    def bridge(self, agent: str, farmer: str) -> PlacedCall:
        """Ring the agronomist from our voice number; when they answer, our voice webhook finds the farmer by the
        call's reference (its log row, kind "bridge") and dials them, showing our number."""
        if not self._base_url:
            raise PermanentSendError("PUBLIC_BASE_URL must be set to connect calls over plivo")
        if not self.voice_number:
            raise PermanentSendError("PLIVO_VOICE_NUMBER must be set to connect calls over plivo")
        return PlacedCall(self._call(agent, self.voice_number, "bridge"), self.voice_number)

    def _call(self, to: str, line: str, kind: str) -> str:
        reference = str(uuid.uuid4())
        query = f"call={reference}&kind={kind}"
        call = {"from": digits(line), "to": digits(to), "ring_timeout": RING_S,
                "answer_url": f"{self._base_url}/plivo/voice?{query}", "answer_method": "POST",
                "hangup_url": f"{self._base_url}/plivo/voice/status?{query}", "hangup_method": "POST"}
        with plivo_errors():
            self._client.request("POST", ("Call",), call)  # what calls.create sends, without its re-sending
        return reference


@contextmanager
def plivo_errors():
    """Plivo's failures as ours: retryable (timeouts, connection errors, 5xx, 429) or permanent (the rest)."""
    try:
        yield
    # A 403 on sending is GeoPermissionError: the destination country is not enabled on the account.
    except (AuthenticationError, ForbiddenError, GeoPermissionError, ResourceNotFoundError, ValidationError,
            InvalidRequestError) as exc:
        raise PermanentSendError(f"Plivo {type(exc).__name__}: {_said(exc)}") from None
    except PlivoServerError as exc:
        raise RetryableSendError(f"Plivo server error: {_said(exc)}") from None
    except PlivoRestError as exc:  # the SDK names only some statuses; the rest it puts in the message
        status = _STATUS_CODE.search(str(exc))
        code = int(status[1]) if status else 0
        error = RetryableSendError if code == 429 or code >= 500 else PermanentSendError
        raise error(f"Plivo HTTP {code or '?'}: {_said(exc)}") from None
    except requests.Timeout as exc:  # ConnectTimeout is also a ConnectionError: keep this first
        raise RetryableSendError(f"Plivo timed out: {type(exc).__name__}") from None
    except requests.RequestException as exc:
        raise RetryableSendError(f"Plivo unreachable: {type(exc).__name__}") from None


def _said(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]
