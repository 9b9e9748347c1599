"""How much one phone may ask of the service: SMS replies per hour and new USSD sessions per minute, counted in Redis
so that every gateway process on every host shares one allowance per phone.

Over a limit the provider is still answered as usual (Africa's Talking sends anything but a 200 again for ten
minutes), the farmer's message is kept, and nothing is sent back: a phone stuck in a loop, or a prank, must not run
up the SMS bill or flood the desk. Operators see each refusal as a log line and in `kheti_limited_total{limit}` on
/metrics (kept in Redis, so one scrape counts every process). STOP, START and DELETE are never limited.
"""
from __future__ import annotations

import logging

import redis

from farmdb.phones import mask_phone
from dialogs.store import Allowance
from service.rate_limit import RateLimiter

log = logging.getLogger(__name__)

HITS_KEY = "limits:hits"  # limit name -> refusals since Redis started
LIMITS = ("sms_replies", "ussd_sessions", "refused_requests")  # the last: gateway.limits, per client address


class CallerLimits:
    def __init__(self, client: redis.Redis, *, sms_replies_per_hour: int, ussd_sessions_per_minute: int):
        self.client = client
        self.sms_replies_per_hour = sms_replies_per_hour
        self.ussd_sessions_per_minute = ussd_sessions_per_minute

    def sms_reply(self, phone: str) -> bool:
        """May this phone be answered once more? A few at once, then one every few minutes, up to the hour's."""
        per_hour = self.sms_replies_per_hour
        return self._allowed("sms_replies", phone, rate=per_hour / 3600, burst=max(1, min(per_hour, 10)))

    def ussd_sessions(self, phone: str) -> Allowance:
        """This phone's allowance of new USSD sessions, taken by the hop's own lock script (dialogs.store): a dial
        costs no round trip more for it. When it is spent, say so with `refused`."""
        per_minute = self.ussd_sessions_per_minute
        return Allowance(_key("ussd_sessions", phone), per_ms=per_minute / 60_000, burst=per_minute)

    def _allowed(self, limit: str, phone: str, *, rate: float, burst: int) -> bool:
        granted, _ = RateLimiter(self.client, _key(limit, phone), rate, burst).take()
        if not granted:
            self.refused(limit, phone)
        return bool(granted)

    def refused(self, limit: str, phone: str) -> None:
        self.client.hincrby(HITS_KEY, limit, 1)
        log.warning("%s limit reached for %s: kept, not answered", limit, mask_phone(phone),
                    extra={"limit": limit})


def _key(limit: str, phone: str) -> str:
    return f"limit:{limit}:{{{phone}}}"  # the phone in braces: the same Redis Cluster slot as its session


def refusals(client: redis.Redis) -> dict[str, int]:
    """Refusals so far by limit, for /metrics."""
    return {name.decode(): int(count) for name, count in client.hgetall(HITS_KEY).items()}
