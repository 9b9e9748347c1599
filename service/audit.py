"""The audit log: every operator action appended, with who, when, what and from where. Rows are only ever added
(the database refuses anything else); admins read them in the console and the API."""
from __future__ import annotations

from sqlalchemy.orm import Session

from farmdb.models import AuditEvent, Operator
from farmdb.phones import mask_phones_in

BOOTSTRAP = "admin-api-key"  # the actor name of requests made with ADMIN_API_KEY, which is nobody's own


def record(db: Session, operator: Operator | None, action: str, *, target_type: str | None = None,
           target_id: object = None, remote_addr: str | None = None, actor: str | None = None,
           **detail) -> AuditEvent:
    """Append one event in the caller's transaction: it is kept exactly when what it describes is."""
    event = AuditEvent(operator_id=operator.id if operator else None,
                       actor=(operator.username if operator else actor or "unknown")[:40], action=action[:40],
                       target_type=target_type, target_id=None if target_id is None else str(target_id)[:40],
                       remote_addr=(remote_addr or "")[:64] or None,
                       detail={k: mask_phones_in(v) if isinstance(v, str) else v for k, v in detail.items()})
    db.add(event)
    return event
