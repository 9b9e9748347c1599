"""Webhooks kept for later: when the database is out of reach but Redis is not, what a provider that will not send
it again has told us (Twilio: an inbound SMS, a delivery report) is parked in Redis and the provider answered 200;
the `replay-webhooks` job hands each to the same code once the database is back, oldest first.

An inbound SMS parked this way is answered by SMS through the outbox (its inline reply went unsaid). Entries that
fail again stay at the head of the spool for the next run; one that cannot be read is moved aside (`spool:bad`) for
an operator, never dropped. A replay that worked but could not be struck off runs again next time, which is safe:
an SMS is recognised by its id and a delivery report never moves a message backwards. With Redis down too, the
provider gets 503 (gateway.errors), and the message is theirs to send again.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict
from typing import Callable

import redis

from farmdb.types import utcnow

log = logging.getLogger(__name__)

KEY, BAD_KEY = "spool:webhooks", "spool:bad"
Handler = Callable[[dict], None]


def park(client: redis.Redis, kind: str, fields) -> bool:
    """Keep `fields` (a dict or a dataclass) to be replayed as `kind`; False when Redis cannot keep it either."""
    entry = {"kind": kind, "fields": asdict(fields) if hasattr(fields, "__dataclass_fields__") else fields,
             "parked_at": utcnow().isoformat()}
    try:
        client.rpush(KEY, json.dumps(entry, ensure_ascii=False))
    except redis.RedisError:
        return False
    log.warning("database out of reach: %s kept in the spool for replay", kind, extra={"spooled": kind})
    return True


def replay(client: redis.Redis, handlers: dict[str, Handler], *, most: int = 1000) -> int:
    """Hand up to `most` parked webhooks to their handlers, oldest first; stop at the first that fails (the outage
    is not over: it stays first in line). Returns how many were replayed."""
    done = 0
    while done < most:
        raw = client.lindex(KEY, 0)
        if raw is None:
            break
        try:
            entry = json.loads(raw)
            handler = handlers[entry["kind"]]
        except (ValueError, KeyError, TypeError):
            log.error("an unreadable spool entry moved to %s", BAD_KEY)
            client.rpush(BAD_KEY, raw)
            client.lrem(KEY, 1, raw)
            continue
        handler(entry["fields"])  # raises while the database is still away: the entry stays
        client.lrem(KEY, 1, raw)
        done += 1
    if done:
        log.info("replayed %d parked webhook(s)", done)
    return done


def waiting(client: redis.Redis) -> int:
    return client.llen(KEY)
