"""Plivo writes numbers as country code and number without the plus (919812345678); ours are E.164."""
from __future__ import annotations

import re

_BARE = re.compile(r"[1-9][0-9]{6,14}")  # an E.164 number's digits, ASCII only: at most 15


def with_plus(raw: str) -> str:
    """"919812345678" -> "+919812345678"; anything else as it came (with its plus already, a short code, junk),
    for gateway.forms and farmdb.phones to judge."""
    return f"+{raw}" if _BARE.fullmatch(raw) else raw
