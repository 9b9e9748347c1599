"""USSD over Africa's Talking: POST /africastalking/ussd (a hop) and /africastalking/ussd/events (session ended).

A hop: form fields sessionId, serviceCode, phoneNumber, networkCode, text; answer text/plain "CON ..." or "END ...".
`text` is every input of the session joined by '*' (AT's own way, read here and nowhere else): only what is new
since the last hop is given to the dialogs.
"""
from __future__ import annotations

import logging

from flask import Response, request
from sqlalchemy import select

from dialogs.model import Event
from dialogs.store import Allowance, OverAllowance, Stored
from dialogs.texts import N_, texts
from farmdb.models import UssdSession
from farmdb.phones import InvalidPhoneNumber, mask_phone, to_e164
from gateway import context
from gateway.forms import phone, read, value, whole, words
from service import session_log
from service.conversations import UNAVAILABLE, Conversations

log = logging.getLogger(__name__)


def _text(body: str) -> Response:
    return Response(body, mimetype="text/plain")


# What AT posts, field by field, bounded by the columns the values go in (gateway.forms). Only a session id we
# cannot keep is refused; the caller's `text` is theirs (cleaned: the dialogs re-prompt what they cannot use), and
# a bad network code only means Latin letters. AT re-sends the end of a session until it gets a 200, so what only
# describes it is dropped when bad, and the rest kept.
HOP = (value("sessionId", UssdSession.session_id, required=True),
       value("serviceCode", UssdSession.service_code, required=True, drop_bad=True),
       phone("phoneNumber", required=True), value("networkCode", UssdSession.network_code, drop_bad=True),
       words("text"))
ENDED = (value("sessionId", UssdSession.session_id, required=True),
         value("status", UssdSession.status, required=True), phone("phoneNumber"),
         value("serviceCode", UssdSession.service_code, drop_bad=True),
         value("networkCode", UssdSession.network_code, drop_bad=True),
         whole("durationInMillis", UssdSession.duration_ms), whole("hopsCount", UssdSession.hops),
         words("lastAppResponse"), words("input"), words("errorMessage"),
         value("cost", UssdSession.cost, drop_bad=True))


def ussd_hop():
    form = read(request.form, HOP)
    config = context.settings()
    try:
        caller = to_e164(form["phoneNumber"], config.default_region)
    except InvalidPhoneNumber as exc:
        log.warning("USSD hop with an unusable phone number: %s", exc)
        return _text("END " + texts(config.default_locale, latin=True)(N_("ussd.bad_phone")))
    latin = form["networkCode"] not in config.ussd_ucs2_networks
    conversations = context.conversations()
    # A dial (AT sends no text) starts a session: it takes one from the caller's allowance (service.limits).
    allowance = None if form["text"] else conversations.limits.ussd_sessions(caller)
    try:
        return _text(_hop(conversations, form["sessionId"], caller, form["text"], latin, allowance))
    except OverAllowance:  # a phone dialling again and again: told to try later, without a database read
        conversations.limits.refused("ussd_sessions", caller)
        return _text("END " + texts(config.default_locale, latin=True)(N_("ussd.busy")))
    except UNAVAILABLE as exc:  # Redis, or the database, is out of reach
        log.error("USSD hop refused, a backend is unavailable: %s: %s", type(exc).__name__, exc)
        return _text("END " + texts(config.default_locale, latin=True)(N_("ussd.busy")))


def _hop(conversations: Conversations, session_id: str, phone: str, text: str, latin: bool,
         allowance: Allowance | None = None) -> str:
    with conversations.ussd_sessions.hop(phone, allowance) as hop:
        stored = hop.stored
        same = stored is not None and stored.session_id == session_id
        kind, new = new_input(stored.history if same else None, text)
        if same and (kind == "repeat" or stored.ended):
            return stored.reply  # the same hop again (a retry): same answer, no effect repeated
        if not same and text and stored is not None and not stored.ended:
            # A late hop of an earlier session while another is live: it must not overwrite the live one.
            log.info("late USSD hop of another session; not touching the live one", extra={"session_id": session_id})
            return "END " + texts(stored.session.locale, latin)(N_("ussd.expired"))
        if kind == "stale":
            log.info("USSD history not ours; starting afresh", extra={"session_id": session_id})
        if same and kind == "input":
            session, event, dropped = stored.session, Event("input", phone, "ussd", new, latin), None
        else:
            dropped = None
            if stored and not same and not stored.ended and conversations.settings.ussd_resume_window:
                dropped = stored.session
            session, event = None, Event("start", phone, "ussd", "", latin)
        session, reply = conversations.step(session, event, conversations.ussd_services, dropped)
        body = conversations.ussd_layout.render(reply.view, reply.page)
        hop.save(Stored(session_id, text, body, session, ended=reply.end), mid_flow=conversations.mid_flow(session),
                 step=session_log.step(session.screen, new if event.kind == "input" else "", body))
        return body


def ussd_session_ended():
    """Kept as a session log, with its steps from Redis (service.session_log); AT retries until it gets a 200, so
    the same sessionId is stored once."""
    form = read(request.form, ENDED)
    try:
        caller = to_e164(form["phoneNumber"], context.settings().default_region)
    except InvalidPhoneNumber:
        caller = "unknown"
    # Only farmers who consented are kept by number and words; other callers (strangers, those who declined or
    # withdrew) are logged with the number masked and without what they typed or saw.
    conversations = context.conversations()
    consented = conversations.ussd_services.profile(caller) is not None
    with context.service().backends.sessions() as db, db.begin():
        row = db.scalar(select(UssdSession).where(UssdSession.session_id == form["sessionId"]))
        if row is None:
            row = UssdSession(session_id=form["sessionId"])
            db.add(row)
        row.phone, row.status = (caller if consented else mask_phone(caller)), form["status"]
        row.service_code, row.network_code = form["serviceCode"] or None, form["networkCode"] or None
        row.duration_ms, row.hops = form["durationInMillis"], form["hopsCount"]
        if consented:
            row.last_screen, row.input = form["lastAppResponse"] or None, form["input"] or None
        row.error, row.cost = form["errorMessage"] or None, form["cost"] or None
        if caller != "unknown":
            session_log.close_ussd(db, row, conversations.ussd_sessions, caller, consented)
    if form["status"] == "Failed":
        log.error("USSD session failed at the provider: %s", form["errorMessage"],
                  extra={"session_id": form["sessionId"]})
    return _text("OK")


def new_input(history: str | None, text: str) -> tuple[str, str]:
    """What the caller just typed, from AT's `text` (all inputs of the session joined by '*') and the history we
    saw on the previous hop. Returns (kind, input): kind is "first" (no history yet), "input", "repeat" (the same
    hop again) or "stale" (history we do not know: start afresh). A '*' typed inside an answer stays in it."""
    if history is None:
        return ("first", "") if text == "" else ("stale", "")
    if text == history:
        return "repeat", ""
    if history == "":
        return "input", text
    if text.startswith(history + "*"):
        return "input", text[len(history) + 1:]
    if history.startswith(text):
        return "repeat", ""  # a late copy of an earlier hop: answer with where the session is now
    return "stale", ""
