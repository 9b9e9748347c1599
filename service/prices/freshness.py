"""Heard at once: every process keeps today's prices in memory for a few minutes (service.dialog_services), so an
import bumps a version number in Redis once it has committed, and each process reads that number at most once per
CHECK_EVERY_S: a hop pays one dict lookup, a process one Redis GET a minute, and new prices are heard everywhere
within a minute. Redis away: the number is not read, and the prices simply live out their five minutes."""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

import redis

log = logging.getLogger(__name__)

KEY = "prices:version"
CHECK_EVERY_S = 60.0


def bump(client: redis.Redis) -> None:
    """After an import has committed: every process re-reads prices within CHECK_EVERY_S."""
    try:
        client.incr(KEY)
    except redis.RedisError as exc:
        log.warning("could not tell the gateways that prices changed (they see them within five minutes): %s",
                    type(exc).__name__)


class PricesVersion:
    """The version the last import left in Redis, as this process last read it."""

    def __init__(self, client: redis.Redis, every_s: float | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self._client, self._clock = client, clock
        self._every_s = CHECK_EVERY_S if every_s is None else every_s
        self._lock = threading.Lock()
        self._value: bytes | None = None
        self._read_at = -float("inf")

    def current(self) -> bytes | None:
        if self._clock() - self._read_at < self._every_s:
            return self._value
        with self._lock:
            if self._clock() - self._read_at >= self._every_s:
                self._read_at = self._clock()  # set first: a Redis that fails is not asked again for a minute
                try:
                    self._value = self._client.get(KEY)
                except redis.RedisError as exc:
                    log.warning("prices version unreadable; today's prices stay cached: %s", type(exc).__name__)
        return self._value
