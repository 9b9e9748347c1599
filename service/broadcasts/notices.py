"""A broadcast written in the console: the operator's own words in each language, in the broadcast notice template
("Kheti Sahayak: {text} Reply STOP to stop these SMS."), so every one matches a registered DLT template."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Mapping

from dialogs.texts import N_, texts
from locales.languages import CODES
from service.broadcasts.audience import Audience, BroadcastError

MAX_TEXT = 300  # characters of the operator's words in one language; the template adds its own
TEMPLATE = N_("broadcast.notice_sms")


def notice_bodies(words: Mapping[str, str]) -> dict[str, str]:
    """The SMS in each language written in (Devanagari for hi and mr, as advisories go); empty ones left out."""
    bodies = {}
    for locale, text in words.items():
        text = " ".join((text or "").split())
        if locale not in CODES:
            raise BroadcastError(f"unknown language {locale!r}")
        if len(text) > MAX_TEXT:
            raise BroadcastError(f"the {locale} text is {len(text)} characters: at most {MAX_TEXT}")
        if text:
            bodies[locale] = str(texts(locale, latin=False)(TEMPLATE, text=text))
    if not bodies:
        raise BroadcastError("write the message in at least one language")
    return bodies


def notice_key(title: str, bodies: Mapping[str, str], audience: Audience, category: str,
               scheduled_for: datetime | None, nonce: str = "") -> str:
    """One confirmation page (its `nonce`) with the same words to the same audience at the same time is one
    broadcast: a double click sends once, and the same words next week are a new one."""
    described = json.dumps({"title": title, "bodies": dict(bodies), "audience": audience.as_dict(), "nonce": nonce,
                            "category": category, "at": scheduled_for.isoformat() if scheduled_for else None},
                           sort_keys=True, ensure_ascii=False)
    return f"notice:{hashlib.sha1(described.encode()).hexdigest()[:24]}"
