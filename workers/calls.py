"""Calling back the missed-call line: `call_back(ring_id)`, queued by service.missed_calls after a ring is logged.

A farmer rings a MISSED_CALL_NUMBERS line, is rejected unanswered (so pays nothing), and we ring them back through
the provider that carried the ring; when they answer, the provider asks our voice webhook what to say and the same
IVR runs, greeting them with "voice.callback".

- **Once per period.** `SET callback:{phone} <ring id> NX EX CALLBACK_PERIOD` in Redis, so every worker agrees: a
  number that rings fifty times in the period is called once. The value is the ring's id, so a retry of this same
  ring finds its own claim. When the call finally cannot be placed the claim is released (only if still ours), so
  the farmer's next ring can try again. Consent is not checked: by ringing, the farmer asked to be called.
- **The provider** that carried the ring places the call (its module in service.providers says how: Twilio from the
  number the farmer rang, Africa's Talking from AT_VOICE_NUMBER). The call-back's CallLog row (kind "callback",
  call_id = the provider's id for the call) is written as soon as the provider answers, so that the voice webhook
  that follows knows the call is ours.
- **Errors.** Each provider call is one bounded HTTP request (the SMS senders' timeouts). Timeouts, connection
  errors, 5xx and 429 are tried again in a worker after about 10, 20 and 40 s; anything else (an invalid number,
  another 4xx, a missing setting) is logged and not retried. In-process (the embedded default, tests) nothing is
  retried: the failure is logged and the claim released.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError, OperationalError

from farmdb.farmers import ERASED
from farmdb.models import CallLog
from farmdb.phones import mask_phones_in
from service.providers import PermanentSendError, RetryableSendError
from service.tasks import CALL_BACK
from service.simulated_phones import is_simulated
from workers.registry import OUTAGES, ServiceTask, TaskList
from workers.sending import retry_delay

log = logging.getLogger(__name__)

MAX_RETRIES = 3  # after the first try: a farmer waiting for a call-back will not wait for long

# Delete the claim only if it is still this ring's (it may have expired and been taken by a later ring).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


@dataclass(frozen=True)
class Ring:
    id: int
    provider: str
    phone: str
    line: str | None
    farmer_id: int | None


TASKS = TaskList()


@TASKS.task(CALL_BACK, queue="sms.priority", max_retries=MAX_RETRIES, **OUTAGES)  # a farmer who rang is waiting
def call_back(task: ServiceTask, ring_id: int) -> str:
    """Ring back the farmer of missed call `ring_id`: "queued" (the provider took the call), "skipped" (already
    called back within the period), "missing" (no such ring) or "failed"."""
    service = task.service
    settings, backends = service.settings, service.backends
    ring = _ring(backends, ring_id)
    if ring is None:
        log.warning("call-back for a ring we have no log of", extra={"ring_id": ring_id})
        return "missing"
    if ring.phone == ERASED:  # they asked for their data to be deleted between the ring and now
        log.info("call-back dropped: the caller's number was erased", extra={"ring_id": ring.id})
        return "erased"
    if is_simulated(settings, ring.phone):  # the console's phone, whichever path asked (the sweeper too)
        log.info("call-back not placed: a simulated phone", extra={"ring_id": ring.id})
        return "simulated"
    key, claim = f"callback:{ring.phone}", str(ring.id)
    redis = backends.redis
    if not redis.set(key, claim, nx=True, ex=settings.callback_period):
        held = redis.get(key)
        if not (task.request.retries and _text(held) == claim):  # only a retry of this ring holds it
            log.info("already called back within the period", extra={"ring_id": ring.id})
            return "skipped"
    try:
        placed = service.provider(ring.provider).place_call(ring.phone, ring.line)
    except RetryableSendError as exc:
        reason = mask_phones_in(exc.reason)
        if task.in_process or task.request.retries >= MAX_RETRIES:
            log.error("call-back not placed: %s", reason, extra={"ring_id": ring.id})
            redis.eval(_RELEASE, 1, key, claim)
            return "failed"
        log.warning("call-back not placed, will retry: %s", reason, extra={"ring_id": ring.id})
        raise task.retry(countdown=retry_delay(task.request.retries + 1), max_retries=MAX_RETRIES)
    except PermanentSendError as exc:
        log.error("call-back not placed: %s", mask_phones_in(exc.reason), extra={"ring_id": ring.id})
        redis.eval(_RELEASE, 1, key, claim)
        return "failed"
    _record(service, ring, placed.call_id, placed.line)
    log.info("call-back placed", extra={"ring_id": ring.id, "provider": ring.provider})
    return "queued"


def _ring(backends, ring_id: int) -> Ring | None:
    with backends.sessions() as db:
        row = db.get(CallLog, ring_id)
        if row is None or row.kind != "missed_call":
            return None
        return Ring(row.id, row.provider, row.phone, row.line, row.farmer_id)


def _record(service, ring: Ring, call_id: str, line: str) -> None:
    """The call-back's row. The provider is calling already: a database blip is waited out rather than passed up
    (a task retry would ring the farmer twice), and a row the webhook wrote first is left as it is."""
    for pause in (1, 2, 4, None):
        try:
            with service.backends.sessions() as db, db.begin():
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
            service.clock.sleep(pause)


def _text(value) -> str | None:
    return value.decode() if isinstance(value, bytes) else value

