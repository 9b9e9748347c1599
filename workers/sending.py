"""Sending outbox rows: claim them under a row lock, hand them to the provider, record what it said.

One path for a single reply (`send_sms`) and for a broadcast chunk (`send_bulk`), so both keep the same promises:
- at most once: a row is claimed ("queued" -> "sending") in a committed transaction before the provider is called,
  and only a row still "queued" with no provider id can be claimed, so a task that runs twice sends nothing twice;
- the rules are checked again at the moment of sending: a farmer who opted out since (or withdrew consent) gets no
  advisory, and a windowed category waits for its window;
- the provider's allowance (SMS_RATE_PER_SECOND) is shared by every worker through Redis: rows beyond it are
  rescheduled, never dropped.

The at-least-once window is between the provider accepting a message and our recording it: a worker killed there
leaves the row "sending". The sweeper re-queues such rows after SENDING_STALE (a possible duplicate, counted and
logged); the window is one bounded provider call per message, and results are recorded every RECORD_EVERY messages.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import OperationalError

from farmdb.models import Farmer, OutboundMessage
from farmdb.types import utcnow
from service.context import Service
from service.providers import Outgoing, PermanentSendError, Receipt, RetryableSendError
from service.rate_limit import RateLimiter, limiter_for
from service.receipts import replay_parked
from service.send_windows import next_send_time

log = logging.getLogger(__name__)

# Provider calls per message: the first and up to MAX_RETRIES more (counted on the row, so a sweeper's re-queue of a
# row does not start the count again).
MAX_RETRIES = 5
RECORD_EVERY = 100
CHUNK = 500  # rows per send_bulk task: big enough to amortise a transaction, small enough to retry cheaply
# Longer than any send can take (task time limit): a row "sending" for this long lost its worker.
SENDING_STALE = timedelta(minutes=10)


def retry_delay(attempts: int) -> float:
    """Seconds before the next try: 10, 20, 40, 80, 160 (capped at 300), each +-20% so a provider's outage does not
    bring every waiting message back in the same second."""
    return min(300, 2 ** attempts * 5) * random.uniform(0.8, 1.2)


@dataclass
class Outcome:
    statuses: dict[int, str] = field(default_factory=dict)  # row id -> its status after this run
    retry: dict[int, int] = field(default_factory=dict)  # row id -> attempts so far, for a retryable failure
    throttled: list[int] = field(default_factory=list)  # over the provider's allowance: send later
    wait: float = 0.0  # seconds until the allowance has room again


def limiter(service: Service) -> RateLimiter | None:
    """The allowance of the SMS provider's account and sender; None when it has none to respect (the console)."""
    sender = service.provider()
    if not sender.rate_limited:
        return None
    return limiter_for(service.backends.redis, sender.name, sender.sender_id, service.settings.sms_rate_per_second,
                       clock=service.clock.now_ms)


def send_batch(service: Service, ids: list[int], now: datetime | None = None) -> Outcome:
    outcome = Outcome()
    gate = limiter(service)
    if gate is not None:
        granted, outcome.wait = gate.take(len(ids))
        ids, outcome.throttled = ids[:granted], ids[granted:]
    if not ids:
        return outcome
    claimed = claim(service, ids, now or utcnow(), outcome)
    sender = service.provider()
    for start in range(0, len(claimed), RECORD_EVERY):
        record(service, _deliver_all(sender, claimed[start:start + RECORD_EVERY]), outcome)
    return outcome


def _deliver_all(sender, messages: list[Outgoing]) -> list[tuple[Outgoing, object]]:
    """A sender that takes many recipients of one text in a request (Africa's Talking) gets each text's messages
    together: a broadcast chunk in one language is one request, not a hundred."""
    bulk = getattr(sender, "send_many", None)
    groups: dict[object, list[Outgoing]] = {}
    for message in messages:
        groups.setdefault(message.body if bulk else message.id, []).append(message)
    results = []
    for group in groups.values():
        if len(group) == 1:
            results.append((group[0], _deliver(sender, group[0])))
            continue
        try:
            answers = bulk(group)
        except Exception as exc:  # a sender bug: the provider may have them, so never try again blindly
            log.exception("SMS sender failed unexpectedly on %d messages", len(group))
            answers = [PermanentSendError(f"unexpected {type(exc).__name__}: {exc}")] * len(group)
        results.extend(zip(group, answers))
    return results


def claim(service: Service, ids: list[int], now: datetime, outcome: Outcome) -> list[Outgoing]:
    settings, claimed = service.settings, []
    with service.backends.sessions() as session, session.begin():
        rows = session.execute(
            select(OutboundMessage, Farmer.sms_opted_out, Farmer.consent_given_at, Farmer.consent_withdrawn_at)
            .outerjoin(Farmer, Farmer.id == OutboundMessage.farmer_id)
            .where(OutboundMessage.id.in_(ids)).order_by(OutboundMessage.id)
            # A row another worker is sending right now is theirs: skip it rather than wait for it.
            .with_for_update(of=OutboundMessage, skip_locked=True)
        ).all()
        for message, opted_out, consent_at, withdrawn_at in rows:
            outcome.statuses[message.id] = message.status
            # A row with a provider id was handed over already, even if the provider said "queued".
            if message.status != "queued" or message.provider_message_id is not None:
                continue
            if message.send_after is not None and message.send_after > now:
                continue  # waiting for its window: the sweeper releases it then
            # Every broadcast (weather alerts too) and every non-implicit message honours opt-out and consent.
            if message.category != "service_implicit" or message.broadcast_id is not None:
                if opted_out:
                    message.status, message.last_error = "cancelled", "farmer opted out of SMS"
                elif message.farmer_id is not None and (consent_at is None or withdrawn_at is not None):
                    message.status, message.last_error = "cancelled", "farmer has not consented"
                elif message.farmer_id is None and message.broadcast_id is not None:
                    message.status, message.last_error = "cancelled", "farmer erased"
                elif message.category != "service_implicit":
                    opens = next_send_time(settings.send_windows, message.category, message.phone, now,
                                           settings.timezone)
                    if opens is not None:
                        message.send_after = opens
                        continue
                if message.status == "cancelled":
                    outcome.statuses[message.id] = "cancelled"
                    continue
            message.status, message.attempts = "sending", message.attempts + 1
            outcome.statuses[message.id] = "sending"
            claimed.append(Outgoing(message.id, message.phone, message.body, message.encoding, message.segments,
                                    message.category, message.purpose, message.template_id, message.dlt_entity_id,
                                    message.attempts))
    return claimed


def _deliver(sender, message: Outgoing) -> Receipt | RetryableSendError | PermanentSendError:
    try:
        return sender.send(message)
    except (RetryableSendError, PermanentSendError) as exc:
        return exc
    except Exception as exc:  # a sender bug: the provider may have the message, so never try again blindly
        log.exception("SMS sender failed unexpectedly", extra={"outbound_id": message.id})
        return PermanentSendError(f"unexpected {type(exc).__name__}: {exc}")


_table = OutboundMessage.__table__
# Only from "sending": a row changed meanwhile (the farmer was erased) keeps that last word.
_RECORD = {
    "sent": update(_table).where(_table.c.id == bindparam("_id"), _table.c.status == "sending").values(
        status=bindparam("_status"), provider=bindparam("_provider"), provider_message_id=bindparam("_ref"),
        provider_status=bindparam("_provider_status"), cost=bindparam("_cost"),
        cost_currency=bindparam("_currency"), sent_at=bindparam("_at"), updated_at=bindparam("_at")),
    "failed": update(_table).where(_table.c.id == bindparam("_id"), _table.c.status == "sending").values(
        status=bindparam("_status"), last_error=bindparam("_error"), updated_at=bindparam("_at")),
}


def record(service: Service, results: list[tuple[Outgoing, object]], outcome: Outcome) -> None:
    backends = service.backends
    at = utcnow()
    sent, unsent = [], []
    for message, result in results:
        if isinstance(result, Receipt):
            sent.append({"_id": message.id, "_status": result.status, "_provider": result.provider,
                         "_ref": result.provider_message_id, "_provider_status": result.provider_status,
                         "_cost": result.cost, "_currency": result.cost_currency, "_at": at})
            outcome.statuses[message.id] = result.status
        elif isinstance(result, RetryableSendError) and message.attempts <= MAX_RETRIES:
            unsent.append({"_id": message.id, "_status": "queued", "_error": result.reason, "_at": at})
            outcome.statuses[message.id] = "queued"
            outcome.retry[message.id] = message.attempts
            log.info("SMS not sent, will retry: %s", result.reason, extra={"outbound_id": message.id})
        else:
            unsent.append({"_id": message.id, "_status": "failed", "_error": result.reason, "_at": at})
            outcome.statuses[message.id] = "failed"
            log.warning("SMS failed after %d attempt(s): %s", message.attempts, result.reason,
                        extra={"outbound_id": message.id})
    # The provider has these messages now: losing this write would send them again (via the sweeper), so a
    # database blip is waited out here rather than passed up.
    for pause in (1, 2, 4, 8, None):
        try:
            with backends.engine.begin() as conn:
                if sent:
                    conn.execute(_RECORD["sent"], sent)
                if unsent:
                    conn.execute(_RECORD["failed"], unsent)
            break
        except OperationalError:
            if pause is None:
                raise
            log.warning("could not record %d sent SMS, trying again in %d s", len(results), pause)
            service.clock.sleep(pause)
    # A provider may have reported on some of these before we recorded them: those receipts were kept for now.
    by_provider: dict[str, list[str]] = {}
    for row in sent:
        if row["_provider"] != "console":
            by_provider.setdefault(row["_provider"], []).append(row["_ref"])
    for provider, refs in by_provider.items():
        replay_parked(backends, provider, refs)
