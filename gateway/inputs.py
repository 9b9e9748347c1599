"""What providers hand us as text is cleaned once, at the door: control characters (NUL above all, which
PostgreSQL refuses in text) are dropped; newlines and tabs become spaces. Everything else is kept as typed."""
from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str) -> str:
    return _CONTROL.sub("", text).replace("\r", " ").replace("\n", " ").replace("\t", " ")
