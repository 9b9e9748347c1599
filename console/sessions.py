"""Session logs: what a farmer saw, screen by screen, on a USSD session or a call (issue #12, part 5), so a complaint
can be checked against it. Every role may read one; each reading is personal data seen, so each is audited. The
number is masked for everyone here: it is shown in full only on the farmer's page, on request (console.farmers)."""
from __future__ import annotations

from flask import abort, render_template
from sqlalchemy import select

from console.i18n import _
from console.security import audited, requires, service
from farmdb.models import Farmer
from farmdb.phones import mask_phone
from service import session_records


def _show(db, log):
    if log is None:
        abort(404, description=_("No such session (its log may not have been kept)."))
    farmer_id = log.farmer_id or db.scalar(select(Farmer.id).where(Farmer.phone == log.phone))
    audited(db, "session.viewed", log.kind, log.ref)
    return render_template("console/session.html", log=log, number=mask_phone(log.phone), farmer_id=farmer_id)


@requires("viewer")
def ussd_session(session_id: str):
    with service().backends.sessions() as db, db.begin():
        return _show(db, session_records.ussd(db, session_id))


@requires("viewer")
def call(call_id: int):
    with service().backends.sessions() as db, db.begin():
        return _show(db, session_records.call(db, call_id))


ROUTES = (("GET", "/sessions/ussd/<session_id>", ussd_session), ("GET", "/calls/<int:call_id>", call))
ENDPOINTS = {"ussd_session": "ussd_session", "call": "call_log"}
