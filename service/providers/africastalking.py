"""Africa's Talking, outbound: SMS (one or many recipients of one text in a request), calls, and what its delivery
reports mean. Through its SDK (africastalking 2.x): `SMSService.send(body, phones, sender_id)` and
`VoiceService.call(from, [to])`.

The SDK sends with module-level `requests` calls and raises an exception carrying only the response body. Our
services take over its one transport method (`_make_request`), so every request goes through a pooled session with
OUR timeout, and a refusal keeps its HTTP status: a 5xx or 429 is worth trying again, another 4xx is not. The SDK's
own code still builds every request (URL, headers, form).
"""
from __future__ import annotations

import json
import re
import threading
from decimal import Decimal, InvalidOperation

import requests
from africastalking.Service import validate_phone
from africastalking.SMS import SMSService
from africastalking.Voice import VoiceService

from service.providers.base import Outgoing, PermanentSendError, PlacedCall, Receipt, RetryableSendError, SendError

NAME = "africastalking"

# (connect, read) seconds. A send is one small POST; AT answers in well under a second when healthy. A read timeout
# may come after AT accepted the message: retrying it is the documented at-least-once window.
TIMEOUT_S = (3.05, 10.0)

# Per-recipient statusCode of a send -> our status after the hand-over.
SUCCESS = {100: "queued", 101: "sent", 102: "queued"}  # Processed, Sent, Queued
RETRYABLE_CODES = frozenset({500, 501, 502})  # InternalServerError, GatewayError, RejectedByGateway

# Delivery report `status` -> ours.
STATUSES = {
    "Sent": "sent", "Submitted": "sent", "Buffered": "sent",  # in flight at the operator
    "Success": "delivered",
    "Rejected": "failed", "Failed": "failed",
}

_COST = re.compile(r"^\s*([A-Z]{3})\s+(\d+(?:\.\d+)?)\s*$")


class Refused(Exception):
    """AT answered outside 2xx: its status and body."""

    def __init__(self, status: int, body: str):
        super().__init__(f"HTTP {status}")
        self.status, self.body = status, body


class _Bounded:
    """The SDK services' transport, replaced: one requests.Session per thread (a Session is not thread-safe),
    our timeout whatever the SDK passes, and the HTTP status kept on a refusal."""

    def _make_request(self, url, method, headers, data, params, callback=None, timeout=None):
        local = self._local
        if not hasattr(local, "session"):
            local.session = requests.Session()
        response = local.session.request(method.upper(), url, headers=headers, data=data, params=params,
                                         timeout=TIMEOUT_S)
        if not 200 <= response.status_code < 300:
            raise Refused(response.status_code, response.text)
        return response.json() if response.headers.get("content-type") == "application/json" else response.text


class _Sms(_Bounded, SMSService):
    def __init__(self, username: str, api_key: str):
        self._local = threading.local()
        super().__init__(username, api_key)


class _Voice(_Bounded, VoiceService):
    def __init__(self, username: str, api_key: str):
        self._local = threading.local()
        super().__init__(username, api_key)


class AfricasTalking:
    name = NAME
    rate_limited = True

    def __init__(self, username: str, api_key: str, sender_id: str | None = None, voice_number: str | None = None):
        self._sms, self._voice = _Sms(username, api_key), _Voice(username, api_key)
        self.sender_id = sender_id or None  # None: AT's shared default sender
        self.dlt_header = self.sender_id  # in India the sender id is the DLT header the templates belong to
        self._voice_number = voice_number

    def send(self, message: Outgoing) -> Receipt:
        # message.template_id (India DLT) is not sent: AT's API has no field for it.
        if not validate_phone(message.phone):  # the SDK would raise a bare ValueError
            raise PermanentSendError("InvalidPhoneNumber: not +<country><number>")
        return _recipient(_recipients(self._request(self._sms.send, message.body, [message.phone],
                                                    sender_id=self.sender_id))[0])

    def send_many(self, messages: list[Outgoing]) -> list[Receipt | SendError]:
        """One request for many recipients of the same text (a broadcast chunk in one language), as AT's bulk API
        takes it; each recipient's own answer decides its message. A failure of the request is every message's."""
        results: list[Receipt | SendError | None] = [None] * len(messages)
        valid = []
        for n, message in enumerate(messages):
            if validate_phone(message.phone):
                valid.append(n)
            else:
                results[n] = PermanentSendError("InvalidPhoneNumber: not +<country><number>")
        if not valid:
            return results
        try:
            answer = _recipients(self._request(self._sms.send, messages[valid[0]].body,
                                               [messages[n].phone for n in valid], sender_id=self.sender_id))
        except SendError as failure:
            for n in valid:
                results[n] = failure
            return results
        by_number = {}
        for recipient in answer:
            by_number.setdefault(str(recipient.get("number")), recipient)
        for n in valid:
            recipient = by_number.get(messages[n].phone)
            try:
                results[n] = _recipient(recipient) if recipient else PermanentSendError(
                    "Africa's Talking left this number out of its answer")  # not risked twice
            except SendError as exc:
                results[n] = exc
        return results

    def place_call(self, to: str, line: str | None = None) -> PlacedCall:
        """Ring `to` from AT_VOICE_NUMBER; AT then posts the voice number's callback URL with the call's
        sessionId."""
        if not self._voice_number:
            raise PermanentSendError("AT_VOICE_NUMBER must be set to call back over africastalking")
        try:
            answer = self._request(self._voice.call, self._voice_number, [to])
        except ValueError as exc:  # the SDK's check of the number, before any request
            raise PermanentSendError(f"Africa's Talking: {exc}") from None
        return PlacedCall(_session(answer), self._voice_number)

    def bridge(self, agent: str, farmer: str) -> PlacedCall:
        """Ring the agronomist from AT_VOICE_NUMBER; when they answer, AT asks our voice callback what to do with
        the call, and the call log's "bridge" row (written by the caller) says: dial the farmer."""
        return self.place_call(agent)

    @staticmethod
    def _request(method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except Refused as exc:
            raise http_error(exc.status, exc.body) from None
        except requests.JSONDecodeError:  # a 2xx that says application/json but is not
            raise RetryableSendError("Africa's Talking: unreadable JSON answer") from None
        except requests.Timeout as exc:  # ConnectTimeout is also a ConnectionError: keep this first
            raise RetryableSendError(f"Africa's Talking timed out: {type(exc).__name__}") from None
        except requests.RequestException as exc:
            raise RetryableSendError(f"Africa's Talking unreachable: {type(exc).__name__}") from None


def http_error(status: int | None, body: str) -> SendError:
    text = " ".join(body.split())[:200]
    if status is None or status == 429 or status >= 500 or status < 400:
        return RetryableSendError(f"Africa's Talking HTTP {status or '?'}: {text}")
    return PermanentSendError(f"Africa's Talking HTTP {status}: {text}")


# --- the SDK's answers: one reader for the SMS and the voice API alike ---------------------------------------------

def _answer(answer) -> dict:
    """The SDK's answer as a dict: it hands back text unless the content-type is exactly application/json."""
    if isinstance(answer, str):
        try:
            answer = json.loads(answer)
        except ValueError:
            raise RetryableSendError(f"Africa's Talking: unreadable answer {answer[:80]!r}") from None
    return answer if isinstance(answer, dict) else {}


def _recipients(answer) -> list[dict]:
    """A send's recipients, or the error a whole-request refusal is (AT answers "InvalidSenderId" this way)."""
    data = _answer(answer).get("SMSMessageData") or {}
    recipients = data.get("Recipients")
    if not recipients:
        raise PermanentSendError(f"Africa's Talking sent to nobody: {data.get('Message') or 'no recipients'}")
    return recipients


def _recipient(recipient: dict) -> Receipt:
    """One recipient's line of AT's answer: a receipt, or the error to raise."""
    try:
        code = int(recipient.get("statusCode"))
    except (TypeError, ValueError):
        raise RetryableSendError(f"Africa's Talking: no statusCode in {recipient!r:.120}") from None
    status = str(recipient.get("status") or code)
    if code in SUCCESS:
        if not recipient.get("messageId"):  # unreadable, like an answer without statusCode: try again
            raise RetryableSendError(f"Africa's Talking: {status} ({code}) without a messageId")
        cost, currency = parse_cost(recipient.get("cost"))
        return Receipt(provider=NAME, provider_message_id=str(recipient["messageId"]),
                       status=SUCCESS[code], provider_status=status, cost=cost, cost_currency=currency)
    if code in RETRYABLE_CODES or 500 <= code < 600:
        raise RetryableSendError(f"{status} ({code})")
    raise PermanentSendError(f"{status} ({code})")  # 401-409 and anything unknown: never risk a duplicate


def _session(answer) -> str:
    """The sessionId of the one call asked for, or why there is none. AT answers a refusal with 200 or 201 and an
    errorMessage (a bad caller id) and no entries, or an entry whose status is not Queued (InvalidPhoneNumber,
    DestinationNotSupported, InsufficientCredit) and whose sessionId is "None"."""
    answer = _answer(answer)
    entries = answer.get("entries") or []
    error = str(answer.get("errorMessage") or "None")
    if not entries:
        raise PermanentSendError(f"Africa's Talking placed no call: {error if error != 'None' else 'no entries'}")
    entry = entries[0] if isinstance(entries[0], dict) else {}
    status, session_id = str(entry.get("status") or "?"), str(entry.get("sessionId") or "None")
    if session_id == "None":  # a call that was not queued has no session
        raise PermanentSendError(f"Africa's Talking placed no call: {status}"
                                 + (f" ({error})" if error != "None" else ""))
    return session_id[:64]


def parse_cost(raw: str | None) -> tuple[Decimal | None, str | None]:
    """'KES 0.8000' -> (Decimal('0.8000'), 'KES'); anything else (AT writes '0' when nothing was charged) -> None."""
    match = _COST.match(raw or "")
    if not match:
        return None, None
    try:
        return Decimal(match.group(2)), match.group(1)
    except InvalidOperation:
        return None, None
