"""Delivery receipts and opt-outs from the SMS providers, applied to the outbox and to farmers. What a provider's
status words mean is its own module's STATUSES (service.providers).

Receipts arrive late, twice and out of order (AT re-sends for ~10 minutes; Twilio's "sent" and "delivered" callbacks
can cross), so a receipt only ever moves a message forward: queued < sending < sent < one final status.

They can also arrive early: the provider may report on a message before the sender has recorded the id it was
given. Such a receipt is parked in Redis under that id and applied as soon as the send is recorded, instead of
being dropped.
"""
from __future__ import annotations

import json
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from farmdb.models import Farmer, OutboundMessage
from farmdb.types import utcnow
from service.providers import STATUSES

log = logging.getLogger(__name__)

_RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "undelivered": 3, "failed": 3}
FINAL = frozenset(s for s, rank in _RANK.items() if rank == 3)
_UNKNOWN = object()


def apply_receipt(session: Session, *, provider: str, provider_message_id: str, provider_status: str,
                  error: str | None = None) -> str:
    """Record one receipt; returns "updated", "unchanged", "unknown_status" or "unknown_message". Never raises on
    what a provider sends: the HTTP handler answers 200 whatever comes back, so the provider stops re-sending."""
    message = session.scalar(
        select(OutboundMessage)
        .where(OutboundMessage.provider == provider, OutboundMessage.provider_message_id == provider_message_id)
        .with_for_update()  # crossing callbacks for one message: the second waits and sees the first's status
    )
    ref = {"provider": provider, "provider_message_id": provider_message_id, "provider_status": provider_status}
    if message is None:
        return "unknown_message"
    status = STATUSES.get(provider, {}).get(provider_status, _UNKNOWN)
    if status is _UNKNOWN:
        log.warning("unknown delivery status from %s: %r", provider, provider_status, extra=ref)
        if message.status not in FINAL:
            message.provider_status = provider_status[:40]  # the column's width: a garbage value must not raise
        return "unknown_status"
    # A final row is closed, provider_status included, so that it keeps explaining the final status.
    if message.status in FINAL or (status is not None and _RANK[status] < _RANK[message.status]):
        return "unchanged"
    before = (message.status, message.provider_status, message.last_error)
    message.provider_status = provider_status
    if status is not None and status != message.status:
        message.status = status
        if status == "delivered":
            message.delivered_at = utcnow()
    if status in ("undelivered", "failed") and error:
        message.last_error = error
    return "updated" if (message.status, message.provider_status, message.last_error) != before else "unchanged"


# Longer than any send takes to be recorded: a receipt parked longer than this was never for a message of ours.
EARLY_TTL_S = 6 * 3600


def _parked_key(provider: str, provider_message_id: str) -> str:
    return f"receipt:early:{provider}:{provider_message_id}"


def take_receipt(backends, *, provider: str, provider_message_id: str, provider_status: str,
                 error: str | None = None) -> str:
    """What the providers' callbacks call: apply the receipt, or park it until the send is recorded."""
    with backends.sessions() as session, session.begin():
        outcome = apply_receipt(session, provider=provider, provider_message_id=provider_message_id,
                                provider_status=provider_status, error=error)
    if outcome == "unknown_message":
        key = _parked_key(provider, provider_message_id)
        with backends.redis.pipeline() as pipe:
            pipe.rpush(key, json.dumps([provider_status, error]))
            pipe.expire(key, EARLY_TTL_S)
            pipe.execute()
        log.info("delivery receipt before the send was recorded: kept for it", extra={
            "provider": provider, "provider_message_id": provider_message_id, "provider_status": provider_status})
        replay_parked(backends, provider, [provider_message_id])  # it may have been recorded meanwhile
    return outcome


def replay_parked(backends, provider: str, provider_message_ids: list[str]) -> int:
    """Apply the receipts parked for these messages (called once their send is recorded); returns how many.
    Taking a message's parked receipts is atomic, so of two callers racing for them only one applies them."""
    keys = [_parked_key(provider, ref) for ref in provider_message_ids]
    with backends.redis.pipeline(transaction=True) as pipe:
        for key in keys:
            pipe.lrange(key, 0, -1)
            pipe.delete(key)
        taken = pipe.execute()[::2]
    parked = [(ref, [json.loads(item) for item in items]) for ref, items in zip(provider_message_ids, taken) if items]
    if not parked:
        return 0
    applied = 0
    with backends.sessions() as session, session.begin():
        for ref, receipts in parked:
            for status, error in receipts:
                outcome = apply_receipt(session, provider=provider, provider_message_id=ref, provider_status=status,
                                        error=error)
                if outcome == "unknown_message":  # still not ours to know: back where it was, for the send
                    backends.redis.rpush(_parked_key(provider, ref), json.dumps([status, error]))
                    backends.redis.expire(_parked_key(provider, ref), EARLY_TTL_S)
                else:
                    applied += 1
    return applied


def opt_out(session: Session, phone: str, channel: str, reason: str) -> bool:
    """Stop SMS to the farmer with this E.164 number. The first opt-out's time is kept: providers repeat callbacks.
    Returns False when no farmer has that number (it is then only logged)."""
    farmer = session.scalar(select(Farmer).where(Farmer.phone == phone))
    if farmer is None:
        log.warning("SMS opt-out for a number with no farmer: %s", phone, extra={"channel": channel, "reason": reason})
        return False
    if not farmer.sms_opted_out:
        farmer.sms_opted_out, farmer.sms_opted_out_at = True, utcnow()
        log.info("farmer opted out of SMS", extra={"farmer_id": farmer.id, "channel": channel, "reason": reason})
    return True


def take_report(backends, *, provider: str, provider_message_id: str, provider_status: str,
                error: str | None = None, stopped: str | None = None) -> None:
    """A delivery report as a provider's callback brings it (or as the spool replays it): the receipt, and, when it
    says the recipient replied STOP, their opt-out (`stopped`: their E.164 number)."""
    take_receipt(backends, provider=provider, provider_message_id=provider_message_id,
                 provider_status=provider_status, error=error)
    if stopped:
        with backends.sessions() as session, session.begin():
            opt_out(session, stopped, "sms", f"{provider} error {error}: recipient replied STOP")
