"""The typed values some settings hold (a price, the send windows, phone numbers, network codes), with their
parsers."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from decimal import Decimal

SMS_CATEGORIES = ("service_implicit", "service_explicit", "promotional")


@dataclass(frozen=True)
class Price:
    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def _price(raw: str) -> Price:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s+([A-Za-z]{3})\s*", raw)
    if not match:
        raise ValueError(f"{raw!r} is not a price such as '0.20 INR' or '0.80 KES'")
    return Price(Decimal(match[1]), match[2].upper())


@dataclass(frozen=True)
class SendWindows:
    """Local hours in which each SMS category may be sent; categories not named go out at any hour."""

    windows: tuple[tuple[str, time, time], ...]

    def for_category(self, category: str) -> tuple[time, time] | None:
        for name, start, end in self.windows:
            if name == category:
                return start, end
        return None

    def __str__(self) -> str:
        return ",".join(f"{name}={start:%H:%M}-{end:%H:%M}" for name, start, end in self.windows) or "(none)"


def _send_windows(raw: str) -> SendWindows:
    if raw.strip().lower() == "none":
        return SendWindows(())
    windows = []
    for part in filter(None, (p.strip() for p in raw.split(","))):
        match = re.fullmatch(r"(\w+)=(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", part)
        if not match or match[1] not in SMS_CATEGORIES:
            raise ValueError(f"{part!r} is not category=HH:MM-HH:MM with a category among {', '.join(SMS_CATEGORIES)}")
        try:
            start, end = time(int(match[2]), int(match[3])), time(int(match[4]), int(match[5]))
        except ValueError:
            raise ValueError(f"{part!r} has an hour or minute out of range")
        if start >= end:
            raise ValueError(f"{part!r}: the window must start before it ends, within one day")
        windows.append((match[1], start, end))
    return SendWindows(tuple(windows))


def _phone_numbers(raw: str) -> frozenset[str]:
    numbers = {part.strip() for part in raw.split(",") if part.strip()}
    bad = [n for n in numbers if not re.fullmatch(r"\+\d{6,15}", n)]
    if bad:
        raise ValueError(f"{', '.join(sorted(bad))}: write numbers as +countrycode..., comma-separated")
    return frozenset(numbers)


def _phone_number(raw: str) -> str:
    (number,) = _phone_numbers(raw) or ("",)
    if "," in raw or not number:
        raise ValueError(f"{raw!r}: write one number as +countrycode...")
    return number


def _networks(raw: str) -> frozenset[str]:
    codes = {part.strip() for part in raw.split(",") if part.strip()}
    if not all(code.isdigit() for code in codes):
        raise ValueError(f"{raw!r} is not a comma-separated list of network codes such as 40410,40445")
    return frozenset(codes)
