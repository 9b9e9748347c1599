"""The missed-call line: a farmer rings one of MISSED_CALL_NUMBERS and hangs up, or is rejected unanswered, paying
nothing; we call them back from the workers and the same voice dialogs run on that call. Each ring is logged; the
call-back itself is limited to one per number per CALLBACK_PERIOD (workers.calls)."""
from __future__ import annotations

import logging

from farmdb.phones import InvalidPhoneNumber, to_e164
from service.call_log import log_call
from service.context import Service
from service.conversations import UNAVAILABLE
from service.simulated_phones import is_simulated

log = logging.getLogger(__name__)


def missed_call(service: Service, *, provider: str, call_id: str, caller: str, line: str) -> None:
    """Log the ring and queue the call-back once it is committed. The endpoint answers Reject whatever happens here
    (the farmer must pay nothing): a withheld number has nobody to call back, and a ring that cannot be logged now
    (the database or Redis is out of reach) is not called back; the farmer's next ring tries again."""
    try:
        phone = to_e164(caller, service.settings.default_region)
    except InvalidPhoneNumber:
        log.info("missed call from a withheld or unusable number: nobody to call back", extra={"provider": provider})
        return
    try:
        if log_call(service.backends, provider=provider, call_id=call_id, kind="missed_call", direction="inbound",
                    phone=phone, line=line, status="rejected", ended=True,
                    then=None if is_simulated(service.settings, phone) else service.tasks.call_back):
            log.info("missed call: calling back", extra={"provider": provider})
    except UNAVAILABLE as exc:
        log.error("missed call not logged, no call-back: %s: %s", type(exc).__name__, exc)
