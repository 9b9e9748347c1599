"""Broadcasts: one text to many farmers, each in their own language.

audience (crop, district, state, language) -> the consenting, not opted-out farmers in it -> one body per language
-> a preview (recipients, segments, estimated cost, the DLT template each body matches) -> outbox rows in bulk ->
dispatched in chunks after the commit. The same path serves an agronomist's advisory, the morning weather alerts
and the crop-stage advice (workers.alerts).
"""
from __future__ import annotations

from service.broadcasts.advisories import advisory_bodies, advisory_broadcast, advisory_key
from service.broadcasts.audience import Audience, BroadcastError, Target, recipients, resolve, why_empty
from service.broadcasts.notices import notice_bodies, notice_key
from service.broadcasts.rows import Personal, create, create_personal
from service.broadcasts.estimate import LanguagePreview, Preview, preview
from service.broadcasts.progress import status

__all__ = ["Audience", "BroadcastError", "LanguagePreview", "Personal", "Preview", "Target", "advisory_bodies",
           "advisory_broadcast", "advisory_key", "create", "create_personal", "preview", "recipients", "resolve",
           "status", "notice_bodies", "notice_key", "why_empty"]
