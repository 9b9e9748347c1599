"""Africa's Talking SMS through its SDK (africastalking 2.x): `africastalking.SMS.send(body, [phone], sender_id)`.

Timeout. The SDK makes its HTTP calls with the module-level `requests.post` (older releases with no timeout at all;
2.0.3 with its own default of (3.05, 9.05) s), so nothing outside it can reach the call. We give the SDK's `requests` name a stand-in (`BoundedHttp`)
that sends through one pooled Session per thread with OUR timeout, whatever the SDK passes. The same stand-in keeps the
last response per thread: the SDK's AfricasTalkingException carries only the response body, and we need the HTTP
status to tell a 5xx or 429 (try again) from a 4xx (give up). Only the SDK module sees the stand-in; the rest of the
process keeps the real `requests`.
"""
from __future__ import annotations

import json
import re
import threading
import warnings
from decimal import Decimal, InvalidOperation

import africastalking
import africastalking.Service as at_service
import requests
from africastalking.Service import AfricasTalkingException

from workers.delivery import AFRICASTALKING
from workers.sending import Outgoing
from workers.senders import PermanentSendError, Receipt, RetryableSendError, SendError

# (connect, read) seconds. A send is one small POST; AT answers in well under a second when healthy. A read timeout
# may come after AT accepted the message: retrying it is the documented at-least-once window.
TIMEOUT_S = (3.05, 10.0)

# Per-recipient statusCode -> our status after the hand-over.
SUCCESS = {100: "queued", 101: "sent", 102: "queued"}  # Processed, Sent, Queued
RETRYABLE_CODES = frozenset({500, 501, 502})  # InternalServerError, GatewayError, RejectedByGateway

_COST = re.compile(r"^\s*([A-Z]{3})\s+(\d+(?:\.\d+)?)\s*$")


class BoundedHttp:
    """Stands in for the `requests` module inside africastalking.Service: same get/post, bounded and pooled."""

    def __init__(self, timeout):
        self.timeout = timeout
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:  # a Session is not thread-safe: one per thread (Celery threads or the dev server's)
            session = self._local.session = requests.Session()
        return session

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        kwargs["timeout"] = self.timeout
        self._local.last_status = None
        response = self._session().request(method, url, **kwargs)
        self._local.last_status = response.status_code
        return response

    def post(self, url=None, **kwargs):
        return self.request("POST", url, **kwargs)

    def get(self, url=None, **kwargs):
        return self.request("GET", url, **kwargs)

    def last_status(self) -> int | None:
        return getattr(self._local, "last_status", None)

    def __getattr__(self, name):  # anything else the SDK reads from `requests` (exceptions, ...)
        return getattr(requests, name)


# Shared with the voice call-backs (workers.calls): the same SDK module, the same bounded stand-in.
bounded_http = BoundedHttp(TIMEOUT_S)
sdk_lock = threading.Lock()


def _sms_service(username: str, api_key: str):
    """`africastalking.initialize` sets module globals: call it once per process (per credentials, for tests) and
    keep the SMS service it made, so that a later initialize elsewhere cannot swap our credentials."""
    with sdk_lock:
        at_service.requests = bounded_http
        with warnings.catch_warnings():  # initialize builds every service; WhatsApp warns about the sandbox
            warnings.filterwarnings("ignore", "Sandbox is currently not available", UserWarning)
            africastalking.initialize(username, api_key)
        return africastalking.SMS


class AfricasTalkingSender:
    name = AFRICASTALKING

    def __init__(self, username: str, api_key: str, sender_id: str | None = None):
        self._sms = _sms_service(username, api_key)
        self._sender_id = sender_id or None  # None: AT's shared default sender

    def send(self, message: Outgoing) -> Receipt:
        # message.template_id (India DLT) is not sent: the API has no field for it (see workers.senders).
        if not at_service.validate_phone(message.phone):  # the SDK would raise a bare ValueError
            raise PermanentSendError("InvalidPhoneNumber: not +<country><number>")
        return _receipt(self._request(message.body, [message.phone]))

    def send_many(self, messages: list[Outgoing]) -> list[Receipt | SendError]:
        """One request for many recipients of the same text (a broadcast chunk in one language), as AT's bulk API
        takes it; each recipient's own answer decides its message. A failure of the request is every message's."""
        results: list[Receipt | SendError | None] = [None] * len(messages)
        valid = []
        for n, message in enumerate(messages):
            if at_service.validate_phone(message.phone):
                valid.append(n)
            else:
                results[n] = PermanentSendError("InvalidPhoneNumber: not +<country><number>")
        if valid:
            try:
                answer = _answer(self._request(messages[valid[0]].body, [messages[n].phone for n in valid]))
            except SendError as exc:
                answer, failure = None, exc
            by_number = {}
            if answer is not None:
                for recipient in (answer.get("SMSMessageData") or {}).get("Recipients") or []:
                    by_number.setdefault(str(recipient.get("number")), recipient)
            for n in valid:
                if answer is None:
                    results[n] = failure
                    continue
                recipient = by_number.get(messages[n].phone)
                try:
                    results[n] = _recipient(recipient) if recipient else PermanentSendError(
                        "Africa's Talking left this number out of its answer")  # not risked twice
                except SendError as exc:
                    results[n] = exc
        return results

    def _request(self, body: str, phones: list[str]):
        try:
            return self._sms.send(body, phones, sender_id=self._sender_id)
        except AfricasTalkingException as exc:
            raise http_error(bounded_http.last_status(), str(exc)) from None
        except requests.JSONDecodeError:  # a 2xx that says application/json but is not
            raise RetryableSendError("Africa's Talking: unreadable JSON answer") from None
        except requests.Timeout as exc:  # ConnectTimeout is also a ConnectionError: keep this first
            raise RetryableSendError(f"Africa's Talking timed out: {type(exc).__name__}") from None
        except requests.RequestException as exc:
            raise RetryableSendError(f"Africa's Talking unreachable: {type(exc).__name__}") from None


def http_error(status: int | None, body: str) -> Exception:
    text = " ".join(body.split())[:200]
    if status is None or status == 429 or status >= 500 or status < 400:
        return RetryableSendError(f"Africa's Talking HTTP {status or '?'}: {text}")
    return PermanentSendError(f"Africa's Talking HTTP {status}: {text}")


def _answer(answer) -> dict:
    """AT's answer as a dict with recipients, or the error a whole-request refusal is."""
    if isinstance(answer, str):  # the SDK hands back text unless content-type is exactly application/json
        try:
            answer = json.loads(answer)
        except ValueError:
            raise RetryableSendError(f"Africa's Talking: unreadable answer {answer[:80]!r}") from None
    answer = answer if isinstance(answer, dict) else {}
    data = answer.get("SMSMessageData") or {}
    if not data.get("Recipients"):  # AT answers this way to a whole-request refusal, e.g. "InvalidSenderId"
        raise PermanentSendError(f"Africa's Talking sent to nobody: {data.get('Message') or 'no recipients'}")
    return answer


def _receipt(answer) -> Receipt:
    return _recipient(_answer(answer)["SMSMessageData"]["Recipients"][0])


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
        return Receipt(provider=AFRICASTALKING, provider_message_id=str(recipient["messageId"]),
                       status=SUCCESS[code], provider_status=status, cost=cost, cost_currency=currency)
    if code in RETRYABLE_CODES or 500 <= code < 600:
        raise RetryableSendError(f"{status} ({code})")
    raise PermanentSendError(f"{status} ({code})")  # 401-409 and anything unknown: never risk a duplicate


def parse_cost(raw: str | None) -> tuple[Decimal | None, str | None]:
    """'KES 0.8000' -> (Decimal('0.8000'), 'KES'); anything else (AT writes '0' when nothing was charged) -> None."""
    match = _COST.match(raw or "")
    if not match:
        return None, None
    try:
        return Decimal(match.group(2)), match.group(1)
    except InvalidOperation:
        return None, None
