"""Quiet hours: promotional and service-explicit SMS reach farmers only inside their category's local window
(TRAI: 10:00-21:00 IST); outside it a message waits for the next window. Service-implicit ones (replies, receipts)
go at any hour. The window is in the recipient's own time zone, from their number, or TIMEZONE if it has several."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as number_zones

from service.value_types import SendWindows


def zone_for(phone: str, fallback: str) -> ZoneInfo:
    """+91... -> Asia/Kolkata, +254... -> Africa/Nairobi; a number whose zone is not certain -> the fallback.
    Zones follow number prefixes, so the answer is kept per country code and area (a broadcast's 100,000 numbers
    share a handful of them): parsing every number would cost more than the rest of the rules together."""
    return _zone_for_prefix(phone[:7], phone, fallback)


@lru_cache(maxsize=8192)
def _zone_for_prefix(prefix: str, phone: str, fallback: str) -> ZoneInfo:
    try:
        zones = number_zones.time_zones_for_number(phonenumbers.parse(phone))
    except phonenumbers.NumberParseException:
        zones = ()
    return ZoneInfo(zones[0] if len(zones) == 1 and zones[0] != "Etc/Unknown" else fallback)


def next_send_time(windows: SendWindows, category: str, phone: str, now: datetime, fallback_zone: str
                   ) -> datetime | None:
    """None when the message may go now; otherwise the UTC moment its window next opens."""
    window = windows.for_category(category)
    if window is None:
        return None
    start, end = window
    zone = zone_for(phone, fallback_zone)
    local = now.astimezone(zone)
    if start <= local.time() < end:
        return None
    day = local.date() if local.time() < start else local.date() + timedelta(days=1)
    return datetime.combine(day, start, tzinfo=zone).astimezone(timezone.utc)
