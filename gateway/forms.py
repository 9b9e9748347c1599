"""What providers post, read once at the door. Each adapter declares the fields it reads, one line each, with the
column a value goes into (farmdb.models) as its bound, and reads them all with `read`:

- `value`: a provider's own id, code or status. Printable, and no longer than its column; anything else is a 400
  naming the field. PostgreSQL refuses a NUL in text and a value longer than its column: that must be our 400, not
  its 500, and a refused request stores nothing.
- `whole`, `money` and `fraction`: numbers in ASCII digits within what their column holds (or 0 to 1).
- `words`: what the farmer typed or said. Never refused: control characters go (NUL above all), newlines and tabs
  become spaces, and it is cut at its bound.
- `phone`: a phone number or short code as sent, when it could be one; otherwise empty, and the adapter's own rule
  for an unusable number applies (a USSD hop ends politely, an opt-out is acknowledged, a sender is a 400).
- `link`: a URL as sent when printable, else empty; service.recordings judges recording URLs.

A field that only describes (a duration, a cost, a network) is declared `drop_bad`: a bad value is logged and read as
absent, so a farmer's turn still gets its answer and a report the provider re-sends until it gets a 200 is still
kept. Numbers are such fields unless told otherwise. A missing field is a 400 naming it when it is required, empty
(None for numbers) otherwise.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Mapping

from flask import abort
from sqlalchemy import BigInteger

from farmdb.phones import InvalidPhoneNumber, to_e164
from gateway import context

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")  # and half characters, from JSON
_DIGITS = re.compile(r"[0-9]{1,30}(?:\.[0-9]{0,12})?")  # ASCII only: int() would also take "١٢", and fail on "²"
MAX_TEXT = 5000  # longer is not an SMS: what fits is kept
MAX_PHONE = 32  # the widest column a number goes in (a call's line, a message's to_address)


class Refused(ValueError):
    """A value no provider sends; the reason reads after the field's name."""


@dataclass(frozen=True)
class Field:
    name: str
    read: Callable[[Any], Any]  # the raw value -> ours, or Refused
    required: bool = False
    absent: Any = ""  # what a missing (or dropped) value reads as
    drop_bad: bool = False  # a bad value reads as absent (logged) instead of refusing the request


def read(form: Mapping, fields: tuple[Field, ...]) -> dict[str, Any]:
    """Every declared field read, or a 400 naming the first that is missing or bad: a provider's logs then say
    what is wrong, and nothing has been stored."""
    try:
        return check(form, fields)
    except Refused as refused:
        abort(400, description=str(refused))


def check(document: Mapping, fields: tuple[Field, ...]) -> dict[str, Any]:
    """As `read`, raising Refused("'<name>' <why>"): for a caller that answers in its own shape (Razorpay)."""
    values = {}
    for field in fields:
        raw = document.get(field.name)
        if raw is None:
            if field.required:
                raise Refused(f"missing form field: {field.name}")
            values[field.name] = field.absent
            continue
        try:
            values[field.name] = field.read(raw)
        except Refused as why:
            log.warning("provider field %s: %s %s", "dropped" if field.drop_bad else "refused", field.name, why)
            if not field.drop_bad:
                raise Refused(f"'{field.name}' {why}") from None
            values[field.name] = field.absent
    return values


def width(column) -> int:
    """A String column's length, from the model: `width(UssdSession.session_id)` is 64."""
    return column.property.columns[0].type.length


def value(name: str, column=None, *, limit: int | None = None, required: bool = False, ascii: bool = False,
          drop_bad: bool = False) -> Field:
    longest = limit or width(column)

    def read_value(raw) -> str:
        if not isinstance(raw, str):
            raise Refused("is not text")
        if not raw.isprintable() or (ascii and not raw.isascii()):
            raise Refused("has a character no provider sends (NUL, control or format)")
        if len(raw) > longest:
            raise Refused(f"is longer than {longest} characters")
        return raw
    return Field(name, read_value, required, drop_bad=drop_bad)


def whole(name: str, column=None, *, text: bool = True, drop_bad: bool = True) -> Field:
    """A count: 0 up to what the column holds (a fraction is dropped: AT may send "20512.0"). Forms send it as text;
    JSON (`text=False`) as a number."""
    kind = column.property.columns[0].type if column is not None else None
    most = 2**63 - 1 if isinstance(kind, BigInteger) else 2**31 - 1

    def read_whole(raw) -> int | None:
        if raw == "":
            return None  # AT sends some fields empty
        if isinstance(raw, int) and not isinstance(raw, bool):
            number = raw
        elif text and isinstance(raw, str) and _DIGITS.fullmatch(raw):
            number = int(Decimal(raw))
        else:
            number = -1
        if not 0 <= number <= most:
            raise Refused(f"is not a whole number from 0 to {most}")
        return number
    return Field(name, read_whole, absent=None, drop_bad=drop_bad)


def money(name: str, column, *, drop_bad: bool = True) -> Field:
    """An amount that fits its Numeric column: Numeric(12, 4) holds less than 100,000,000."""
    kind = column.property.columns[0].type
    most = Decimal(10) ** (kind.precision - kind.scale)

    def read_money(raw) -> Decimal | None:
        if raw == "":
            return None
        if not (isinstance(raw, str) and _DIGITS.fullmatch(raw) and Decimal(raw) < most):
            raise Refused(f"is not an amount from 0 to {most}")
        return Decimal(raw)
    return Field(name, read_money, absent=None, drop_bad=drop_bad)


def fraction(name: str, *, drop_bad: bool = True) -> Field:
    """A confidence: 0 to 1 ("0.92")."""
    def read_fraction(raw) -> float | None:
        if raw == "":
            return None
        if not (isinstance(raw, str) and _DIGITS.fullmatch(raw) and float(raw) <= 1):
            raise Refused("is not a number from 0 to 1")
        return float(raw)
    return Field(name, read_fraction, absent=None, drop_bad=drop_bad)


def words(name: str, limit: int = MAX_TEXT) -> Field:
    def read_words(raw) -> str:
        if not isinstance(raw, str):
            raise Refused("is not text")
        text = clean(raw)
        if len(text) > limit:
            log.info("%s of %d characters cut to %d", name, len(text), limit)
        return text[:limit]
    return Field(name, read_words)


def phone(name: str, *, required: bool = False) -> Field:
    def read_phone(raw) -> str:
        usable = isinstance(raw, str) and raw.isprintable() and len(raw) <= MAX_PHONE
        return raw if usable else ""
    return Field(name, read_phone, required)


def link(name: str) -> Field:
    return Field(name, lambda raw: raw if isinstance(raw, str) and raw.isprintable() else "")


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


def usable_phone(raw: str, what: str) -> str | None:
    """The number in E.164, or None (and a warning naming `what`) when it cannot be one: for a number a request is
    never refused over, such as the recipient of a delivery report that says they replied STOP."""
    try:
        return to_e164(raw, context.settings().default_region)
    except InvalidPhoneNumber as exc:
        log.warning("%s with an unusable number: %s", what, exc)
        return None
