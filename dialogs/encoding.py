"""How long an SMS (or a USSD screen) really is: counted in GSM-7 septets or UCS-2 code units, never bytes.

One SMS holds 160 GSM-7 characters (153 per part of a longer one; the extension characters ^{}\\[~]|€ take two),
or 70 UCS-2 units (67 per part) as soon as any character is outside GSM-7, such as any Devanagari letter.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7, UCS2 = "GSM-7", "UCS-2"
# The same sets as regular expressions: counting runs in C, and a USSD hop measures many candidate screens.
_NOT_GSM7 = re.compile("[^" + re.escape("".join(sorted(GSM7_BASIC | GSM7_EXTENSION))) + "]")
_EXTENSION = re.compile("[" + re.escape("".join(sorted(GSM7_EXTENSION))) + "]")
_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")
_LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True)
class SmsLength:
    encoding: str
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def is_gsm7(text: str) -> bool:
    return _NOT_GSM7.search(text) is None


def _unit_sizes(text: str, encoding: str) -> list[int]:
    if encoding == GSM7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]  # characters outside the BMP are surrogate pairs


def units(text: str, encoding: str) -> int:
    """Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes."""
    return len(text) + len((_EXTENSION if encoding == GSM7 else _ASTRAL).findall(text))


def measure(text: str) -> SmsLength:
    encoding = GSM7 if is_gsm7(text) else UCS2
    single, part = _LIMITS[encoding]
    total = units(text, encoding)
    if total <= single:
        return SmsLength(encoding, total, 1)  # even an empty SMS is one segment
    sizes = _unit_sizes(text, encoding)
    # Fill parts greedily; an escape pair or a surrogate pair is never split across two parts.
    segments, used = 1, 0
    for size in sizes:
        if used + size > part:
            segments, used = segments + 1, 0
        used += size
    return SmsLength(encoding, total, segments)


def screen_units(text: str) -> tuple[str, int]:
    """(encoding, length) of a USSD screen, for checking it against the GSM-7 or UCS-2 screen limit."""
    encoding = GSM7 if is_gsm7(text) else UCS2
    return encoding, units(text, encoding)
