"""USSD sessions in Redis: one key per caller, holding the session, AT's input history and the last reply.

Keyed by phone, not by AT's sessionId, because a phone has one USSD session at a time, and that lets a new
session find a dropped one to continue. The braces make the key a Redis Cluster hash tag, so the key and its lock
live on one node. The key lives USSD_SESSION_TTL after a hop, or USSD_RESUME_WINDOW when the caller was mid-flow
(so a dropped call can be continued).

Two hops of one session racing (a retry crossing the original) are serialised by a short lock. A hop costs two round
trips, the same as the least any stateful gateway needs: one Lua script takes the lock and reads the session, another
writes the session and releases the lock if it is still ours (the embedded fakeredis runs Lua through lupa).
"""
from __future__ import annotations

import json
import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import redis

from dialogs.model import Session

LOCK_MS = 15000  # longer than a hop may take (AT gives the app 10-15 s); a crashed holder frees it by expiry
LOCK_WAIT_S = 2.0


class Busy(Exception):
    """The session's lock could not be had in time."""


@dataclass
class Stored:
    session_id: str
    history: str  # AT's `text` as of the last hop
    reply: str  # the body we answered it with, for repeated hops
    session: Session
    ended: bool = False

    def dumps(self) -> str:
        data = {"i": self.session_id, "h": self.history, "r": self.reply, "x": self.session.to_dict()}
        if self.ended:
            data["e"] = 1
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def loads(cls, raw: bytes) -> "Stored":
        data = json.loads(raw)
        return cls(data["i"], data["h"], data["r"], Session.from_dict(data["x"]), bool(data.get("e")))


# KEYS[1] lock, KEYS[2] session; ARGV[1] token, ARGV[2] lock ms. Returns {got_lock, session or false}.
_TAKE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('GET', KEYS[2])}
end
return {0, false}
"""
# KEYS[1] lock, KEYS[2] session; ARGV[1] token, ARGV[2] value or '' (do not write), ARGV[3] ttl seconds.
# Writes only while the lock is still ours: a hop that outlived its lock must not overwrite a newer hop's state.
_GIVE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3]) end
redis.call('DEL', KEYS[1])
return 1
"""


class SessionStore:
    def __init__(self, client: redis.Redis, *, ttl: int = 180, resume_window: int = 600, prefix: str = "ussd"):
        self.client, self.ttl, self.resume_window, self.prefix = client, ttl, resume_window, prefix
        self._take = client.register_script(_TAKE) if client is not None else None
        self._give = client.register_script(_GIVE) if client is not None else None

    def key(self, phone: str) -> str:
        return f"{self.prefix}:{{{phone}}}"

    def load(self, phone: str) -> Stored | None:
        raw = self.client.get(self.key(phone))
        return Stored.loads(raw) if raw else None

    def save(self, phone: str, stored: Stored, *, mid_flow: bool) -> None:
        self.client.set(self.key(phone), stored.dumps(), ex=self._ttl(stored, mid_flow))

    def _ttl(self, stored: Stored, mid_flow: bool) -> int:
        return max(self.ttl, self.resume_window) if mid_flow and not stored.ended else self.ttl

    @contextmanager
    def hop(self, phone: str) -> Iterator["Hop"]:
        """Hold the caller's lock for one hop: read what is stored, then `hop.save(...)` writes as the lock goes."""
        key = self.key(phone)
        lock, token = key + ":lock", secrets.token_hex(8)
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            got, raw = self._take(keys=[lock, key], args=[token, LOCK_MS])
            if got:
                break
            if time.monotonic() > deadline:
                raise Busy(phone)
            time.sleep(0.005)
        current = Hop(Stored.loads(raw) if raw else None)
        try:
            yield current
        except BaseException:
            self._give(keys=[lock, key], args=[token, "", 0])  # let go at once: the caller may try again
            raise
        value, ttl = ("", 0) if current.to_save is None else (current.to_save[0].dumps(), self._ttl(*current.to_save))
        if not self._give(keys=[lock, key], args=[token, value, ttl]) and current.to_save is not None:
            raise Busy(phone)  # our lock expired mid-hop: the caller is told to try again, nothing is overwritten


@contextmanager
def held(client: redis.Redis, key: str) -> Iterator[None]:
    """A plain per-key lock on the same terms as a hop's (for SMS conversations): wait up to LOCK_WAIT_S, expire
    after LOCK_MS, released only by its owner."""
    token, deadline = secrets.token_hex(8), time.monotonic() + LOCK_WAIT_S
    while not client.set(key, token, nx=True, px=LOCK_MS):
        if time.monotonic() > deadline:
            raise Busy(key)
        time.sleep(0.005)
    try:
        yield
    finally:
        client.register_script(_GIVE)(keys=[key, key + ":unused"], args=[token, "", 0])


@dataclass
class Hop:
    stored: Stored | None
    to_save: tuple[Stored, bool] | None = None

    def save(self, stored: Stored, *, mid_flow: bool) -> None:
        self.to_save = (stored, mid_flow)
