"""USSD sessions in Redis: one key per caller, holding the session, AT's input history and the last reply.

Keyed by phone, not by AT's sessionId, because a phone has one USSD session at a time, and that lets a new
session find a dropped one to continue. The braces make the key a Redis Cluster hash tag, so the key and its lock
live on one node. The key lives USSD_SESSION_TTL after a hop, or USSD_RESUME_WINDOW when the caller was mid-flow
(so a dropped call can be continued).

Two hops of one session racing (a retry crossing the original) are serialised by a short lock: SET NX with an expiry,
released with WATCH/MULTI only if still ours, so no Lua is needed (the embedded fakeredis has none).
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

LOCK_MS = 5000  # longer than any hop takes; a crashed holder frees it by expiry
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


class SessionStore:
    def __init__(self, client: redis.Redis, *, ttl: int = 180, resume_window: int = 600, prefix: str = "ussd"):
        self.client, self.ttl, self.resume_window, self.prefix = client, ttl, resume_window, prefix

    def key(self, phone: str) -> str:
        return f"{self.prefix}:{{{phone}}}"

    def load(self, phone: str) -> Stored | None:
        raw = self.client.get(self.key(phone))
        return Stored.loads(raw) if raw else None

    def save(self, phone: str, stored: Stored, *, mid_flow: bool) -> None:
        ttl = max(self.ttl, self.resume_window) if mid_flow and not stored.ended else self.ttl
        self.client.set(self.key(phone), stored.dumps(), ex=ttl)

    def forget(self, phone: str) -> None:
        self.client.delete(self.key(phone))

    @contextmanager
    def locked(self, phone: str) -> Iterator[None]:
        lock, token = self.key(phone) + ":lock", secrets.token_hex(8)
        deadline = time.monotonic() + LOCK_WAIT_S
        while not self.client.set(lock, token, nx=True, px=LOCK_MS):
            if time.monotonic() > deadline:
                raise Busy(phone)
            time.sleep(0.005)
        try:
            yield
        finally:
            self._release(lock, token)

    def _release(self, lock: str, token: str) -> None:
        with self.client.pipeline() as pipe:
            try:
                pipe.watch(lock)
                if pipe.get(lock) == token.encode():
                    pipe.multi()
                    pipe.delete(lock)
                    pipe.execute()
            except redis.WatchError:
                pass  # it expired and someone else holds it now: theirs to release
