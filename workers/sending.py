"""Sending outbox rows: one provider request at a time, claimed under a row lock just before it goes, its answer
recorded as soon as the provider gives it.

One path for a single reply (`send_sms`) and for a broadcast chunk (`send_bulk`), so both keep the same promises:
- at most once: a row is claimed ("queued" -> "sending") in a committed transaction before the provider is called,
  and only a row still "queued" with no provider id can be claimed, so a task that runs twice sends nothing twice;
- the rules are checked again at the moment of sending: a farmer who opted out since (or withdrew consent) gets no
  advisory, and a windowed category waits for its window;
- the provider's allowance (SMS_RATE_PER_SECOND) is shared by every worker through Redis: rows beyond it are
  rescheduled, never dropped;
- one transaction per provider request records the answer to the last request and claims the rows of the next, so
  a worker never holds more rows "sending" than the one request it is waiting on.

The window that remains: a worker killed (SIGKILL, the OOM killer, a lost machine) after a request went out and
before its answer was recorded leaves that request's rows "sending", and nobody can tell whether the provider took
them. The sweeper sends them again after SENDING_STALE (nothing lost; the re-sent rows say so in last_error): at most
ONE provider request per killed worker process goes out twice, PER_REQUEST recipients of one text with a bulk sender
(Africa's Talking), one message with any other. The rest of its chunk was never claimed: still "queued", it is sent
once by the redelivered task or the sweeper. A worker told to stop (SIGTERM to its main process, as docker stop and
Kubernetes send it) gets its answer to the request in flight, records it and hands the rest back (`stopping`,
Outcome.left); tests/faults/test_worker_killed.py measures both with a real worker.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from farmdb.farmers import ERASURE_NOTICE, forget_notified
from farmdb.models import Broadcast, Farmer, OutboundMessage
from farmdb.types import utcnow
from service.context import Service
from service.providers import Outgoing, PermanentSendError, Receipt, RetryableSendError
from service.rate_limit import RateLimiter, limiter_for
from service.receipts import replay_parked
from service.send_windows import next_send_time
from service.simulated_phones import NOT_SENT, is_simulated
from service.settings import Settings

log = logging.getLogger(__name__)

# Provider calls per message: the first and up to MAX_RETRIES more (counted on the row, so a sweeper's re-queue of a
# row does not start the count again).
MAX_RETRIES = 5
# Recipients of one text in one bulk request: also the most that a killed worker leaves in doubt.
PER_REQUEST = 100
CHUNK = 500  # rows per send_bulk task: big enough to amortise its planning, small enough to retry cheaply
# A live worker holds a row "sending" for one provider request and the write of its answer (well under a minute;
# a task is killed at its time limit): a row "sending" for this long lost its worker.
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
    left: list[int] = field(default_factory=list)  # not tried, the worker is stopping: for another worker


def limiter(service: Service, sender) -> RateLimiter | None:
    """The allowance of a provider's account and sender; None when it has none to respect (the console)."""
    if not sender.rate_limited:
        return None
    return limiter_for(service.backends.redis, sender.name, sender.sender_id, service.settings.sms_rate_per_second,
                       clock=service.clock.now_ms)


def _never() -> bool:
    return False


def send_batch(service: Service, ids: list[int], now: datetime | None = None,
               stopping: Callable[[], bool] = _never) -> Outcome:
    """Send these rows, one provider request after another, each by its number's provider (PROVIDER_ROUTES);
    `stopping()` is asked before each request, and once it says yes the rows not yet tried are left queued, in
    Outcome.left."""
    outcome, now = Outcome(), now or utcnow()
    requests: list[tuple[object, list[int]]] = []
    for name, group in route(service, ids).items():
        sender = service.provider(name)
        gate = limiter(service, sender)
        if gate is not None:
            granted, wait = gate.take(len(group))
            group, over = group[:granted], group[granted:]
            if over:
                outcome.throttled += over
                outcome.wait = max(outcome.wait, wait)
        if group:
            requests += [(sender, request) for request in plan(service, sender, group, outcome)]
    answered: list[tuple[Outgoing, object]] = []
    for n, (sender, request) in enumerate(requests):
        if stopping():
            outcome.left = [message_id for _, later in requests[n:] for message_id in later]
            log.warning("worker stopping: %d SMS left queued for another worker", len(outcome.left))
            break
        claimed = settle(service, answered, request, now, outcome)
        answered = _deliver_request(sender, claimed)
    if answered:
        settle(service, answered, [], now, outcome)
    return outcome


def route(service: Service, ids: list[int]) -> dict[str, list[int]]:
    """The rows by the provider that sends them. With no PROVIDER_ROUTES every row goes by SMS_PROVIDER, and
    nothing is read."""
    settings = service.settings
    if not settings.provider_routes.rules:
        return {settings.sms_provider: list(ids)} if ids else {}
    with service.backends.sessions() as session:
        phones = dict(session.execute(select(OutboundMessage.id, OutboundMessage.phone)
                                      .where(OutboundMessage.id.in_(ids))).all())
    groups: dict[str, list[int]] = {}
    for message_id in ids:  # a row that has gone is planned (and reported) with the default provider's
        groups.setdefault(settings.provider_for(phones.get(message_id, "")), []).append(message_id)
    return groups


def plan(service: Service, sender, ids: list[int], outcome: Outcome) -> list[list[int]]:
    """The provider requests for these rows, in the order they go: a sender that takes many recipients of one text
    in a request (Africa's Talking) gets each text's rows PER_REQUEST at a time, any other one row per request.
    Rows that are no longer waiting (a redelivered task's) are only reported."""
    if len(ids) == 1:
        return [list(ids)]
    bulk = hasattr(sender, "send_many")
    with service.backends.sessions() as session:
        rows = session.execute(select(OutboundMessage.id, OutboundMessage.status, OutboundMessage.provider_message_id,
                                      OutboundMessage.body)
                               .where(OutboundMessage.id.in_(ids)).order_by(OutboundMessage.id)).all()
    groups: dict[object, list[int]] = {}
    for message_id, status, reference, body in rows:
        outcome.statuses[message_id] = status
        if status == "queued" and reference is None:
            groups.setdefault(body if bulk else message_id, []).append(message_id)
    return [group[start:start + PER_REQUEST] for group in groups.values()
            for start in range(0, len(group), PER_REQUEST)]


def _deliver_request(sender, messages: list[Outgoing]) -> list[tuple[Outgoing, object]]:
    """One provider request: the messages of one text to a bulk sender together, or a single message."""
    if len(messages) <= 1:
        return [(message, _deliver(sender, message)) for message in messages]
    try:
        answers = sender.send_many(messages)
    except Exception as exc:  # a sender bug: the provider may have them, so never try again blindly
        log.exception("SMS sender failed unexpectedly on %d messages", len(messages))
        answers = [PermanentSendError(f"unexpected {type(exc).__name__}: {exc}")] * len(messages)
    return list(zip(messages, answers))


def settle(service: Service, answered: list[tuple[Outgoing, object]], request: list[int], now: datetime,
           outcome: Outcome) -> list[Outgoing]:
    """Record the answers to the last request and claim the rows of the next, in one transaction; returns them.

    The provider has the answered messages: losing this write would send them again (via the sweeper), so a
    database blip is waited out here rather than passed up."""
    sent, unsent = _results(answered, outcome)
    notices = [message.id for message, _ in answered if message.purpose == ERASURE_NOTICE]
    for pause in (1, 2, 4, 8, None):
        try:
            with service.backends.sessions() as session, session.begin():
                if sent:
                    session.execute(_RECORD["sent"], sent)
                if unsent:
                    session.execute(_RECORD["failed"], unsent)
                if notices:  # an erased farmer's last SMS has gone: the number it went to goes too
                    forget_notified(session, notices)
                claimed = claim(session, service.settings, request, now, outcome) if request else []
            break
        except OperationalError:
            if pause is None or not answered:
                raise
            log.warning("could not record %d sent SMS, trying again in %d s", len(answered), pause)
            service.clock.sleep(pause)
    # A provider may have reported on some of these before we recorded them: those receipts were kept for now.
    by_provider: dict[str, list[str]] = {}
    for row in sent:
        if row["_provider"] != "console":
            by_provider.setdefault(row["_provider"], []).append(row["_ref"])
    for provider, refs in by_provider.items():
        replay_parked(service.backends, provider, refs)
    return claimed


def claim(session: Session, settings: Settings, ids: list[int], now: datetime, outcome: Outcome) -> list[Outgoing]:
    """Lock these rows, apply the rules once more, and mark the ones to send "sending" (in the caller's
    transaction)."""
    claimed = []
    rows = session.execute(
        select(OutboundMessage, Farmer.sms_opted_out, Farmer.consent_given_at, Farmer.consent_withdrawn_at)
        .outerjoin(Farmer, Farmer.id == OutboundMessage.farmer_id)
        .where(OutboundMessage.id.in_(ids)).order_by(OutboundMessage.id)
        # A row another worker is sending right now is theirs: skip it rather than wait for it.
        .with_for_update(of=OutboundMessage, skip_locked=True)
    ).all()
    # A broadcast cancelled after a row of it was handed out (a retry put back to "queued"): it does not go.
    stopped = set(session.scalars(select(Broadcast.id).where(
        Broadcast.id.in_({m.broadcast_id for m, *_ in rows if m.broadcast_id is not None}),
        Broadcast.cancelled_at.is_not(None)))) if any(m.broadcast_id for m, *_ in rows) else set()
    for message, opted_out, consent_at, withdrawn_at in rows:
        outcome.statuses[message.id] = message.status
        # A row with a provider id was handed over already, even if the provider said "queued".
        if message.status != "queued" or message.provider_message_id is not None:
            continue
        if message.send_after is not None and message.send_after > now:
            continue  # waiting for its window: the sweeper releases it then
        if message.broadcast_id in stopped:
            message.status, message.last_error = "cancelled", "broadcast cancelled"
            outcome.statuses[message.id] = "cancelled"
            continue
        if is_simulated(settings, message.phone):  # the console's phone (a broadcast reaches it too): never sent
            message.status, message.last_error = "cancelled", NOT_SENT
            outcome.statuses[message.id] = "cancelled"
            continue
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


def _results(answered: list[tuple[Outgoing, object]], outcome: Outcome) -> tuple[list[dict], list[dict]]:
    """The provider's answers as the rows' new values: sent, or back to "queued" for a retry, or failed."""
    at = utcnow()
    sent, unsent = [], []
    for message, result in answered:
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
    return sent, unsent
