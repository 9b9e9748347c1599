"""What providers post, read once at the door: a missing field is a 400 naming it, a sender's number becomes E.164
or a 400 naming the field, and text is cleaned of control characters (NUL above all, which PostgreSQL refuses in
text); newlines and tabs become spaces. Everything else is kept as typed."""
from __future__ import annotations

import logging
import re

from flask import abort

from farmdb.phones import InvalidPhoneNumber, to_e164
from gateway import context

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_TEXT = 5000  # longer is not an SMS: what fits is kept


def required(form, *names: str) -> None:
    """400 naming the first missing field: the provider's logs then say what is wrong."""
    for name in names:
        if name not in form:
            abort(400, description=f"missing form field: {name}")


def clean(text: str) -> str:
    return _CONTROL.sub("", text).replace("\r", " ").replace("\n", " ").replace("\t", " ")


def sender_phone(raw: str, field: str) -> str:
    """The sender's number in E.164, or a 400 naming the field: a provider's logs then say what was wrong."""
    try:
        return to_e164(raw, context.settings().default_region)
    except InvalidPhoneNumber as exc:
        log.warning("inbound message refused: %s", exc)
        abort(400, description=f"invalid sender number in '{field}'")
