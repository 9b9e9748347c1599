"""Calling back the missed-call line: `call_back(ring_id)`, queued by gateway.missed_calls after a ring is logged.

A farmer rings a MISSED_CALL_NUMBERS line, is rejected unanswered (so pays nothing), and we ring them back through
the provider that carried the ring; when they answer, the provider asks our voice webhook what to say and the same
IVR runs, greeting them with "voice.callback".

- **Once per period.** `SET callback:{phone} <ring id> NX EX CALLBACK_PERIOD` in Redis, so every worker agrees: a
  number that rings fifty times in the period is called once. The value is the ring's id, so a retry of this same
  ring finds its own claim. When the call finally cannot be placed the claim is released (only if still ours), so
  the farmer's next ring can try again. Consent is not checked: by ringing, the farmer asked to be called.
- **Twilio** calls from the number the farmer rang, with the IVR at {PUBLIC_BASE_URL}/twilio/voice and progress to
  {PUBLIC_BASE_URL}/twilio/voice/status. **Africa's Talking** calls from AT_VOICE_NUMBER; AT then posts the number's
  voice callback URL (set in its dashboard) with the call's sessionId, which is why the call-back's CallLog row
  (kind "callback", call_id = CallSid or sessionId) is written as soon as the provider answers.
- **Errors.** Each provider call is one bounded HTTP request (the SMS senders' timeouts). Timeouts, connection
  errors, 5xx and 429 are tried again in a worker after about 10, 20 and 40 s; anything else (an invalid number,
  another 4xx, a missing setting) is logged and not retried. In-process (the embedded default, tests) nothing is
  retried: the failure is logged and the claim released.
"""
from __future__ import annotations

import functools
import json
import logging
import time
from dataclasses import dataclass

import requests
from sqlalchemy.exc import IntegrityError, OperationalError

from farmdb.models import CallLog
from farmdb.phones import mask_phones_in
from workers import runtime
from workers.celery_app import celery
from workers.senders import PermanentSendError, RetryableSendError
from workers.sending import retry_delay
from workers.tasks import OUTAGES

log = logging.getLogger(__name__)

MAX_RETRIES = 3  # after the first try: a farmer waiting for a call-back will not wait for long
RING_S = 30  # how long Twilio lets the farmer's phone ring
TWILIO_EVENTS = ["initiated", "ringing", "answered", "completed"]

# Delete the claim only if it is still this ring's (it may have expired and been taken by a later ring).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


@dataclass(frozen=True)
class Ring:
    id: int
    provider: str
    phone: str
    line: str | None
    farmer_id: int | None


@celery.task(bind=True, name="workers.calls.call_back", max_retries=MAX_RETRIES, **OUTAGES)
def call_back(self, ring_id: int) -> str:
    """Ring back the farmer of missed call `ring_id`: "queued" (the provider took the call), "skipped" (already
    called back within the period), "missing" (no such ring) or "failed"."""
    settings, backends = runtime.current()
    ring = _ring(backends, ring_id)
    if ring is None:
        log.warning("call-back for a ring we have no log of", extra={"ring_id": ring_id})
        return "missing"
    key, claim = f"callback:{ring.phone}", str(ring.id)
    redis = backends.redis
    if not redis.set(key, claim, nx=True, ex=settings.callback_period):
        held = redis.get(key)
        if not (self.request.retries and _text(held) == claim):  # only a retry of this ring holds it
            log.info("already called back within the period", extra={"ring_id": ring.id})
            return "skipped"
    try:
        call_id, line = place_call(settings, ring)
    except RetryableSendError as exc:
        reason = mask_phones_in(exc.reason)
        if _in_process(self) or self.request.retries >= MAX_RETRIES:
            log.error("call-back not placed: %s", reason, extra={"ring_id": ring.id})
            redis.eval(_RELEASE, 1, key, claim)
            return "failed"
        log.warning("call-back not placed, will retry: %s", reason, extra={"ring_id": ring.id})
        raise self.retry(countdown=retry_delay(self.request.retries + 1), max_retries=MAX_RETRIES)
    except PermanentSendError as exc:
        log.error("call-back not placed: %s", mask_phones_in(exc.reason), extra={"ring_id": ring.id})
        redis.eval(_RELEASE, 1, key, claim)
        return "failed"
    _record(backends, ring, call_id, line)
    log.info("call-back placed", extra={"ring_id": ring.id, "provider": ring.provider})
    return "queued"


def _ring(backends, ring_id: int) -> Ring | None:
    with backends.sessions() as db:
        row = db.get(CallLog, ring_id)
        if row is None or row.kind != "missed_call":
            return None
        return Ring(row.id, row.provider, row.phone, row.line, row.farmer_id)


def _record(backends, ring: Ring, call_id: str, line: str) -> None:
    """The call-back's row. The provider is calling already: a database blip is waited out rather than passed up
    (a task retry would ring the farmer twice), and a row the webhook wrote first is left as it is."""
    for pause in (1, 2, 4, None):
        try:
            with backends.sessions() as db, db.begin():
                db.add(CallLog(provider=ring.provider, call_id=call_id, kind="callback", direction="outbound",
                               phone=ring.phone, line=line, farmer_id=ring.farmer_id, status="queued"))
            return
        except IntegrityError:
            log.warning("the provider reported the call-back before it was recorded", extra={"ring_id": ring.id})
            return
        except OperationalError:
            if pause is None:
                log.error("call-back placed but not recorded: its webhook will not know it",
                          extra={"ring_id": ring.id})
                return
            time.sleep(pause)


# --- the providers --------------------------------------------------------------------------------------------------

def place_call(settings, ring: Ring) -> tuple[str, str]:
    """Ask the ring's provider to call the farmer; (the provider's call id, the number we call from). Raises
    RetryableSendError or PermanentSendError."""
    if ring.provider == "twilio":
        return _twilio_call(settings, ring)
    if ring.provider == "africastalking":
        return _at_call(settings, ring)
    raise PermanentSendError(f"no call-backs over {ring.provider!r}")


def _twilio_call(settings, ring: Ring) -> tuple[str, str]:
    from workers.senders.twilio import twilio_errors
    _require(settings, "twilio", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL")
    if not ring.line:
        raise PermanentSendError("Twilio: the ring has no line to call back from")
    base = settings.public_base_url
    with twilio_errors():
        call = _twilio_client(settings.twilio_account_sid, settings.twilio_auth_token).calls.create(
            to=ring.phone, from_=ring.line, url=f"{base}/twilio/voice", method="POST",
            status_callback=f"{base}/twilio/voice/status", status_callback_method="POST",
            status_callback_event=TWILIO_EVENTS, timeout=RING_S)
    return call.sid, ring.line


@functools.lru_cache(maxsize=4)
def _twilio_client(account_sid: str, auth_token: str):
    """One client per process and credentials: it keeps its connection pool. Bounded like the SMS sender's."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    from workers.senders.twilio import TIMEOUT_S
    return Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=TIMEOUT_S))


def _at_call(settings, ring: Ring) -> tuple[str, str]:
    from africastalking.Service import AfricasTalkingException

    from workers.senders.africastalking import bounded_http, http_error
    _require(settings, "africastalking", "AT_USERNAME", "AT_API_KEY", "AT_VOICE_NUMBER")
    voice = _at_voice(settings.at_username, settings.at_api_key)
    try:
        answer = voice.call(settings.at_voice_number, [ring.phone])
    except ValueError as exc:  # the SDK's check of the number, before any request
        raise PermanentSendError(f"Africa's Talking: {exc}") from None
    except AfricasTalkingException as exc:
        raise http_error(bounded_http.last_status(), str(exc)) from None
    except requests.Timeout as exc:
        raise RetryableSendError(f"Africa's Talking timed out: {type(exc).__name__}") from None
    except requests.RequestException as exc:
        raise RetryableSendError(f"Africa's Talking unreachable: {type(exc).__name__}") from None
    return _at_session(answer), settings.at_voice_number


@functools.lru_cache(maxsize=4)
def _at_voice(username: str, api_key: str):
    """AT's voice service, sending through the SMS sender's bounded HTTP stand-in (its timeout, and the last HTTP
    status, which the SDK's exception does not carry)."""
    import africastalking.Service as at_service
    from africastalking.Voice import VoiceService

    from workers.senders.africastalking import bounded_http, sdk_lock
    with sdk_lock:
        at_service.requests = bounded_http
    return VoiceService(username, api_key)


def _at_session(answer) -> str:
    """The sessionId of the one call asked for, or why there is none. AT answers a refusal with 200 or 201 and an
    errorMessage (a bad caller id) and no entries, or an entry whose status is not Queued (InvalidPhoneNumber,
    DestinationNotSupported, InsufficientCredit) and whose sessionId is "None"."""
    if isinstance(answer, str):  # the SDK hands back text unless content-type is exactly application/json
        try:
            answer = json.loads(answer)
        except ValueError:
            raise RetryableSendError(f"Africa's Talking: unreadable answer {answer[:80]!r}") from None
    answer = answer if isinstance(answer, dict) else {}
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


def _require(settings, provider: str, *names: str) -> None:
    missing = [name for name in names if not getattr(settings, name.lower())]
    if missing:
        raise PermanentSendError(f"{' and '.join(missing)} must be set to call back over {provider}")


def _text(value) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def _in_process(task) -> bool:
    return bool(task.request.is_eager or task.request.called_directly)

