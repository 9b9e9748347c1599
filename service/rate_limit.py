"""A token bucket per provider account and sender id, in Redis, so every worker process on every host draws from
the same allowance. Tokens refill continuously at `rate` per second up to `burst`; the clock is Redis's own, so
hosts with skewed clocks still agree (a test gives its own clock instead, and moves it rather than sleeping)."""
from __future__ import annotations

from typing import Callable

import redis

# Returns {granted, wait_ms}: as many of the asked tokens as are there (0 if none), and when the next one will be.
_TAKE = """
local rate, burst, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now = tonumber(ARGV[4])
if now == nil then
  local t = redis.call('TIME')
  now = t[1] * 1000 + math.floor(t[2] / 1000)
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]), tonumber(state[2])
if tokens == nil then tokens, at = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local granted = math.min(want, math.floor(tokens))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
local wait = 0
if granted < want then wait = math.ceil((1 - (tokens - math.floor(tokens))) * 1000 / rate) end
return {granted, wait}
"""


Milliseconds = Callable[[], "int | None"]  # None: use Redis's clock


class RateLimiter:
    def __init__(self, client: redis.Redis, key: str, rate: float, burst: int | None = None,
                 clock: Milliseconds = lambda: None):
        self.key, self.rate, self.clock = key, rate, clock
        self.burst = burst or max(1, int(rate))  # a second's worth: smooth, yet a burst of replies is not queued
        self._take = client.register_script(_TAKE)

    def take(self, want: int = 1) -> tuple[int, float]:
        """(tokens granted, seconds until the next one). Never blocks."""
        now = self.clock()
        granted, wait_ms = self._take(keys=[self.key], args=[self.rate, self.burst, want, "" if now is None else now])
        return int(granted), int(wait_ms) / 1000


def limiter_for(client: redis.Redis, provider: str, sender_id: str | None, rate: float,
                clock: Milliseconds = lambda: None) -> RateLimiter:
    return RateLimiter(client, f"ratelimit:sms:{provider}:{sender_id or '-'}", rate, clock=clock)
