"""The audit log: every operator action appended, with who, when, what and from where. Rows are only ever added
(the database refuses anything else); admins read them in the console and the API."""
from __future__ import annotations

import re

from sqlalchemy.orm import Session

from farmdb.models import AuditEvent, Operator
from farmdb.phones import mask_phone, mask_phones_in

BOOTSTRAP = "admin-api-key"  # the actor name of requests made with ADMIN_API_KEY, which is nobody's own
TYPED_NUMBER = re.compile(r"\+?[\d\s().-]+")  # a phone number as a person types it, spaces and dashes and all


def record(db: Session, operator: Operator | None, action: str, *, target_type: str | None = None,
           target_id: object = None, remote_addr: str | None = None, actor: str | None = None,
           **detail) -> AuditEvent:
    """Append one event in the caller's transaction: it is kept exactly when what it describes is. A farmer's number
    is masked wherever it appears (a search typed, an edit's before and after): the log cannot be changed when the
    farmer's data is erased, so it must never have held it."""
    event = AuditEvent(operator_id=operator.id if operator else None,
                       actor=(operator.username if operator else actor or "unknown")[:40],
                       action=action[:40], target_type=target_type,
                       target_id=None if target_id is None else mask_phones_in(str(target_id))[:40],
                       remote_addr=(remote_addr or "")[:64] or None, detail=_masked(detail))
    db.add(event)
    return event


def _masked(value):
    """Numbers masked however deep they are (a dict of changes, a list of filters), and however they were typed
    ("+91 98123-45678" in a search)."""
    if isinstance(value, str):
        if TYPED_NUMBER.fullmatch(value.strip()) and len(re.sub(r"\D", "", value)) >= 10:  # not a date
            return mask_phone(value.strip())
        return mask_phones_in(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(v) for v in value]
    return value
