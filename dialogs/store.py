"""USSD sessions in Redis: one key per caller, holding the session, AT's input history and the last reply.

Keyed by phone, not by AT's sessionId, because a phone has one USSD session at a time, and that lets a new
session find a dropped one to continue. The braces make the key a Redis Cluster hash tag, so the key and its lock
live on one node. The key lives USSD_SESSION_TTL after a hop, or USSD_RESUME_WINDOW when the caller was mid-flow
(so a dropped call can be continued).

Two hops of one session racing (a retry crossing the original) are serialised by a short lock. A hop costs two round
trips, the same as the least any stateful gateway needs: one Lua script takes the lock and reads the session, another
writes the session and releases the lock if it is still ours (the embedded fakeredis runs Lua through lupa).

A lock request that Redis runs only after its sender gave up waiting (Redis paused, then resumed) must not take the
lock: nobody would ever release it, and the caller would hear "busy" until it expired. So each request carries the
last moment, on Redis's clock, at which its sender still waits for the answer, and the script refuses it after that.
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

# Longer than a hop may take (its database reads, a weather lookup and Redis are each bounded to 1.5 s or less); a
# crashed holder frees it by expiry. A hop that outlives its lock writes nothing (see _GIVE) and is told "busy".
LOCK_MS = 6000
LOCK_WAIT_S = 2.0
CLOCK_REFRESH_S = 60


class Busy(Exception):
    """The session's lock could not be had in time."""


class OverAllowance(Exception):
    """The caller has started as many sessions as they may for now (service.limits)."""


@dataclass(frozen=True)
class Allowance:
    """A caller's allowance of new sessions: a token bucket in Redis at `key` (in the caller's hash slot)."""
    key: str
    per_ms: float
    burst: int


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


# KEYS[1] lock, KEYS[2] session, KEYS[3] (on a new session only) the caller's allowance of new sessions, a token
# bucket as service.rate_limit keeps one; ARGV[1] token, ARGV[2] lock ms, ARGV[3] the sender's deadline in Redis ms
# (0: none), ARGV[4] and ARGV[5] the allowance's rate (tokens a ms) and burst.
# Returns {got_lock, session or false}; got_lock -1 when the sender has given up already, 2 when the lock was free
# but the allowance spent (the lock is not kept): a dial costs no round trip more than any other hop.
_TAKE = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
if ARGV[3] ~= '0' and now > tonumber(ARGV[3]) then return {-1, false} end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {0, false} end
if KEYS[3] then
  local rate, burst = tonumber(ARGV[4]), tonumber(ARGV[5])
  local state = redis.call('HMGET', KEYS[3], 'tokens', 'at')
  local tokens, at = tonumber(state[1]), tonumber(state[2])
  if tokens == nil then tokens, at = burst, now end
  tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
  local spent = tokens < 1
  if not spent then tokens = tokens - 1 end
  redis.call('HSET', KEYS[3], 'tokens', tostring(tokens), 'at', now)
  redis.call('PEXPIRE', KEYS[3], math.ceil(burst / rate) + 1000)
  if spent then
    redis.call('DEL', KEYS[1])
    return {2, false}
  end
end
return {1, redis.call('GET', KEYS[2])}
"""
# KEYS[1] lock, KEYS[2] session; ARGV[1] token, ARGV[2] value or '' (do not write), ARGV[3] ttl seconds.
# Writes only while the lock is still ours: a hop that outlived its lock must not overwrite a newer hop's state.
# KEYS[3] (when given) the session's log of steps: ARGV[4] the step is appended, the list cut to the last ARGV[5]
# and kept ARGV[6] seconds; in the same round trip as the save, so the log costs a hop nothing more.
_GIVE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3]) end
if KEYS[3] then
  redis.call('RPUSH', KEYS[3], ARGV[4])
  redis.call('LTRIM', KEYS[3], -tonumber(ARGV[5]), -1)
  redis.call('EXPIRE', KEYS[3], ARGV[6])
end
redis.call('DEL', KEYS[1])
return 1
"""
STEPS_KEPT = 60  # a session's log keeps its last 60 steps
# The log outlives the session by long enough for the provider's end-of-session report to collect it; a session
# whose report never comes loses its log when this runs out.
STEPS_GRACE_S = 600


class RedisClock:
    """Redis's clock as seen from this process: its offset from our monotonic clock (which no NTP step moves),
    measured with TIME (the answer taken to be half a round trip old), again every minute, and at once when Redis
    refused a request we were still waiting for (its clock moved: a failover). Each lock request carries, on that
    clock, the moment its sender stops waiting for the answer: the client's socket timeout from now."""

    def __init__(self, client: redis.Redis):
        self.client = client
        timeout = client.connection_pool.connection_kwargs.get("socket_timeout") if client is not None else None
        self.wait_ms = int(timeout * 1000) if timeout else 0  # 0: the in-process stand-in, which never stalls
        self._offset_ms: float | None = None
        self._measured_at = 0.0

    def deadline_ms(self) -> int:
        if not self.wait_ms:
            return 0
        if self._offset_ms is None or time.monotonic() - self._measured_at > CLOCK_REFRESH_S:
            sent = time.monotonic()
            seconds, micros = self.client.time()
            received = time.monotonic()
            self._offset_ms = seconds * 1000 + micros / 1000 - (sent + received) * 500
            self._measured_at = received
        return int(time.monotonic() * 1000 + self._offset_ms) + self.wait_ms

    def forget(self) -> None:
        self._offset_ms = None


def _take_lock(take, clock: RedisClock, lock: str, key: str, token: str, what: str,
               allowance: Allowance | None = None):
    """Take `lock` (waiting up to LOCK_WAIT_S) and read `key` in the same step; Busy if it stays taken, and
    OverAllowance if the lock was there to take but `allowance` was spent."""
    deadline = time.monotonic() + LOCK_WAIT_S
    keys, extra = ([lock, key], []) if allowance is None else ([lock, key, allowance.key],
                                                               [allowance.per_ms, allowance.burst])
    while True:
        got, raw = take(keys=keys, args=[token, LOCK_MS, clock.deadline_ms(), *extra])
        if got == 1:
            return raw
        if got == 2:
            raise OverAllowance(what)
        if got == -1:  # refused as too late, yet here we are, still waiting: measure Redis's clock again
            clock.forget()
        if time.monotonic() > deadline:
            raise Busy(what)
        time.sleep(0.005)


class SessionStore:
    def __init__(self, client: redis.Redis, *, ttl: int = 180, resume_window: int = 600, prefix: str = "ussd"):
        self.client, self.ttl, self.resume_window, self.prefix = client, ttl, resume_window, prefix
        self._take = client.register_script(_TAKE) if client is not None else None
        self._give = client.register_script(_GIVE) if client is not None else None
        self._clock = RedisClock(client)

    def key(self, phone: str) -> str:
        return f"{self.prefix}:{{{phone}}}"

    def load(self, phone: str) -> Stored | None:
        raw = self.client.get(self.key(phone))
        return Stored.loads(raw) if raw else None

    def save(self, phone: str, stored: Stored, *, mid_flow: bool) -> None:
        self.client.set(self.key(phone), stored.dumps(), ex=self._ttl(stored, mid_flow))

    def steps_key(self, phone: str, session_id: str) -> str:
        """The session's log of steps (a Redis list, apart from the session so the session stays small), in the
        caller's hash slot."""
        return f"{self.key(phone)}:steps:{session_id}"

    def steps(self, phone: str, session_id: str) -> list[dict]:
        """The session's log, oldest step first ([] when it ran out or was never kept)."""
        return [json.loads(raw) for raw in self.client.lrange(self.steps_key(phone, session_id), 0, -1)]

    def forget_steps(self, phone: str, session_id: str) -> None:
        self.client.delete(self.steps_key(phone, session_id))

    def _ttl(self, stored: Stored, mid_flow: bool) -> int:
        return max(self.ttl, self.resume_window) if mid_flow and not stored.ended else self.ttl

    @contextmanager
    def hop(self, phone: str, allowance: Allowance | None = None) -> Iterator["Hop"]:
        """Hold the caller's lock for one hop: read what is stored, then `hop.save(...)` writes as the lock goes.
        `allowance`: this hop starts a session, and takes one from the caller's allowance of them."""
        key = self.key(phone)
        lock, token = key + ":lock", secrets.token_hex(8)
        raw = _take_lock(self._take, self._clock, lock, key, token, phone, allowance)
        current = Hop(Stored.loads(raw) if raw else None)
        try:
            yield current
        except BaseException:
            self._give(keys=[lock, key], args=[token, "", 0])  # let go at once: the caller may try again
            raise
        value, ttl = ("", 0) if current.to_save is None else (current.to_save[0].dumps(), self._ttl(*current.to_save))
        keys, args = [lock, key], [token, value, ttl]
        if current.to_save is not None and current.step is not None:
            keys.append(self.steps_key(phone, current.to_save[0].session_id))
            args += [json.dumps(current.step, ensure_ascii=False, separators=(",", ":")), STEPS_KEPT,
                     max(self.ttl, self.resume_window) + STEPS_GRACE_S]
        if not self._give(keys=keys, args=args) and current.to_save is not None:
            raise Busy(phone)  # our lock expired mid-hop: the caller is told to try again, nothing is overwritten


@contextmanager
def held(client: redis.Redis, key: str) -> Iterator[None]:
    """A plain per-key lock on the same terms as a hop's (for SMS conversations): wait up to LOCK_WAIT_S, expire
    after LOCK_MS, released only by its owner."""
    token, unused = secrets.token_hex(8), key + ":unused"  # the scripts' second key, never written here
    clock = client.__dict__.setdefault("_kheti_clock", None) or RedisClock(client)
    client._kheti_clock = clock  # one per client, measured once a minute
    _take_lock(client.register_script(_TAKE), clock, key, unused, token, key)
    try:
        yield
    finally:
        client.register_script(_GIVE)(keys=[key, unused], args=[token, "", 0])



@dataclass
class Hop:
    stored: Stored | None
    to_save: tuple[Stored, bool] | None = None
    step: dict | None = None

    def save(self, stored: Stored, *, mid_flow: bool, step: dict | None = None) -> None:
        """`step`: one line of the session's log (service.session_log), appended as the session is written."""
        self.to_save, self.step = (stored, mid_flow), step
