"""An agronomist's advisory as a broadcast: its text in each language, in the words of the broadcast template, to
an audience (whose crop defaults to the advisory's)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from dialogs.texts import N_, texts
from farmdb.models import Advisory, Broadcast
from locales.languages import CODES
from service.broadcasts.audience import Audience, BroadcastError, resolve
from service.broadcasts.rows import create
from service.broadcasts.estimate import Preview, preview
from service.context import Service


def advisory_bodies(advisory: Advisory) -> dict[str, str]:
    """The advisory in each language, in the words of the broadcast template (Devanagari for hi and mr)."""
    crop = advisory.crop
    return {locale: texts(locale, latin=False)(N_("broadcast.advisory_sms"), crop=crop.name_in(locale),
                                               text=advisory.texts.get(locale) or advisory.texts["en"])
            for locale in CODES}


def advisory_key(advisory_id: int, audience: Audience, category: str, scheduled_for: datetime | None = None,
                 nonce: str = "") -> str:
    """The same advisory to the same audience (at the same time, from the same confirmation) is the same
    broadcast."""
    described = json.dumps({"audience": audience.as_dict(), "category": category, "nonce": nonce,
                            "at": scheduled_for.isoformat() if scheduled_for else None}, sort_keys=True)
    return f"advisory:{advisory_id}:{hashlib.sha1(described.encode()).hexdigest()[:16]}"


def advisory_broadcast(service: Service, db: Session, advisory_id: int, audience: Audience, *,
                       category: str = "service_explicit", created_by: str | None = None,
                       dry_run: bool = False, title: str | None = None, scheduled_for: datetime | None = None,
                       nonce: str = "") -> tuple[Broadcast | None, Preview, bool]:
    """The agronomist's broadcast: an advisory to an audience. The audience's crop defaults to the advisory's."""
    advisory = db.get(Advisory, advisory_id)
    if advisory is None:
        raise BroadcastError(f"no advisory {advisory_id}")
    if category == "service_implicit":
        raise BroadcastError("an advisory is service_explicit or promotional, never service_implicit")
    audience = replace(audience, crop=audience.crop or advisory.crop.code)
    bodies = advisory_bodies(advisory)
    if dry_run:
        return None, preview(service, db, resolve(db, audience, zone=service.settings.timezone), bodies,
                             category), False
    return create(service, db, key=advisory_key(advisory_id, audience, category, scheduled_for, nonce),
                  kind="advisory", category=category, audience=audience, bodies=bodies, purpose="advisory",
                  advisory_id=advisory_id, created_by=created_by, title=title, scheduled_for=scheduled_for)
