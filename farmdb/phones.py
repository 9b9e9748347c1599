"""Phone numbers: normalised to E.164 on the way in, masked on the way to the logs."""
from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers


class InvalidPhoneNumber(ValueError):
    pass


@lru_cache(maxsize=65536)  # every hop of a session sends the same number; parsing it costs ~0.1 ms
def to_e164(raw: str, default_region: str = "IN") -> str:
    """'098765 43210', '919876543210' or '+91 98765-43210' -> '+919876543210'; anything else raises InvalidPhoneNumber."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber("phone number is empty")
    # Providers and farmers drop the '+': '9198...' or '254...'. Try it as international first when it is long.
    candidates = [text]
    digits = re.sub(r"[^\d]", "", text)
    if not text.startswith("+") and len(digits) > 10:
        candidates.insert(0, "+" + digits)
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, default_region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise InvalidPhoneNumber(f"{mask_phone(text)} is not a valid phone number for region {default_region}")


def mask_phone(phone: str) -> str:
    """'+919876543210' -> '+91******3210': enough to tell numbers apart in a log, not enough to call one."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < 6:
        return "*" * len(digits)
    country = ""
    if phone.strip().startswith("+"):
        try:
            country = str(phonenumbers.parse(phone.strip()).country_code)
        except phonenumbers.NumberParseException:
            country = digits[:2]
    rest = digits[len(country):]
    return ("+" + country if country else "") + "*" * (len(rest) - 4) + rest[-4:]


# Anything in free text that looks like a phone number: +E.164 (also as typed, "+91 98220-11234", and as a URL
# encodes it, "%2B919822011234"), a bare Indian mobile with or without 91/0 ("98220 11234" too), a Kenyan mobile
# without its plus (254712345678, 0712345678).
_PHONE_IN_TEXT = re.compile(
    r"(?<![\w+%])(?:"
    r"(?:\+|%2[Bb])\d(?:[ -]?\d){7,14}"
    r"|(?:91|0)?[6-9]\d{4}[ -]?\d{5}"
    r"|(?:254|0)[17]\d{8}"
    r")(?!\d)")


def mask_phones_in(text: str) -> str:
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(re.sub(r"^%2[Bb]", "+", m.group(0))), text)
