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


def replay(client: redis.Redis, handlers: dict[str, Handler], *, most: int = 1000,
           outages: tuple[type[Exception], ...] = (redis.RedisError,)) -> int:
    """Hand up to `most` parked webhooks to their handlers, oldest first. An outage (`outages`) stops the run: the
    entry stays first in line for the next. Any other failure is this entry's own (a bug, a renamed field): it is
    set aside in `spool:bad`, logged, and the others go on. Returns how many were replayed."""
    done = 0
    while done < most:
        raw = client.lindex(KEY, 0)
        if raw is None:
            break
        try:
            entry = json.loads(raw)
            handlers[entry["kind"]](entry["fields"])
        except outages:
            raise
        except Exception:
            log.exception("a parked webhook could not be replayed: set aside in %s", BAD_KEY)
            client.rpush(BAD_KEY, raw)
        else:
            done += 1
        client.lrem(KEY, 1, raw)
    if done:
        log.info("replayed %d parked webhook(s)", done)
    return done


def forget(client: redis.Redis, phone: str) -> int:
    """An erasure: the parked webhooks from or about this number go (the spool is short: minutes of an outage)."""
    gone = 0
    for key in (KEY, BAD_KEY):
        for raw in client.lrange(key, 0, -1):
            if phone.encode() in raw or phone.lstrip("+").encode() in raw:
                gone += client.lrem(key, 0, raw)
    return gone


def waiting(client: redis.Redis) -> int:
    return client.llen(KEY)
