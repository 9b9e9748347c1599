"""A feature phone in the browser: USSD, SMS and a call through the real endpoints (issue #12, part 4).

For agronomists trying a new advisory and for training field staff. The browser talks only to the console; these
views build exactly what Africa's Talking or Twilio would post, with the secrets from the settings, and hand it to
the app's own gateway routes in-process (console.phone_wire), so it meets the same checks and dialogs as a real
provider's request. Each operator's phone has its own number from SIMULATOR_NUMBERS, for which nothing is ever
sent or called (service.simulated_phones): what the service answers by SMS is shown here, as the phone's inbox.
"""
from __future__ import annotations

import re
import time
import uuid

from flask import abort, jsonify, render_template, request, session
from sqlalchemy import select

from console import phone_wire as wire
from console.i18n import _
from console.phone_call import HOTLINES, voice
from console.phone_wire import audit as _audit, number as _number
from console.security import requires, service
from dialogs.encoding import GSM7, measure, screen_units
from farmdb.models import InboundMessage, OutboundMessage
from farmdb.types import utcnow
from service.simulated_phones import at_sms_form, at_ussd_ended_form, at_ussd_form, twilio_sms_form

SERVICE_CODE = "*384*123#"
LATIN_NETWORK = "40410"  # an Indian network (Airtel, Kolkata) that shows Latin letters only
MAX_WORDS = 480  # a long SMS; a USSD answer is bounded by the gateway itself
INBOX_SIZE = 30
_SERVICE_CODE = re.compile(r"\*[0-9*]{1,30}#")


def _settings():
    return service().settings


def _networks() -> list[tuple[str, bool]]:
    """(network code, shows Devanagari) the phone can be on."""
    ucs2 = sorted(_settings().ussd_ucs2_networks)
    return [(LATIN_NETWORK, False)] + [(code, True) for code in ucs2 if code != LATIN_NETWORK]


def _words(limit: int = MAX_WORDS) -> str:
    words = request.form.get("words", "")
    if len(words) > limit:
        abort(400, description=_("At most %(n)d characters.", n=limit))
    return words


MAX_HOPS = 40  # a USSD session longer than this is a test of patience, not of the menus


@requires("agronomist")
def phone():
    settings = _settings()
    return render_template("console/phone.html", number=_number(), networks=_networks(), service_code=SERVICE_CODE,
                           twilio_ready=bool(settings.twilio_auth_token), limits=(settings.ussd_max_chars,
                                                                                  settings.ussd_ucs2_max_chars))


@requires("agronomist")
def ussd():
    """action=dial (service_code, network) starts a session; action=send (words) answers the screen."""
    settings, action = _settings(), request.form.get("action")
    state = session.get("phone_ussd")
    if action == "dial":
        code = request.form.get("service_code") or SERVICE_CODE
        network = request.form.get("network") or LATIN_NETWORK
        if not _SERVICE_CODE.fullmatch(code) or network not in dict(_networks()):
            abort(400, description=_("Dial a service code such as *384*123# on a network offered here."))
        state = {"id": f"ATUid_{uuid.uuid4().hex[:24]}", "code": code, "network": network, "inputs": [],
                 "started": time.monotonic()}
        _audit("phone_ussd_dialled", service_code=code, network=network)
    elif action == "send" and state and not state.get("ended"):
        if len(state["inputs"]) >= MAX_HOPS:  # the session lives in the signed cookie: keep it small
            abort(400, description=_("This session is long enough: hang up and dial again."))
        state["inputs"] = state["inputs"] + [_words(settings.ussd_max_chars)]
    elif action == "hangup" and state and not state.get("ended"):
        _report_end(settings, state, "Incomplete", state.get("screen", ""))
        state["ended"] = True
        session["phone_ussd"] = state
        return jsonify(ended=True)
    else:
        abort(400, description=_("No USSD session: dial first."))
    text = "*".join(state["inputs"])  # AT's own way: every input of the session joined by '*'
    form = at_ussd_form(state["id"], state["code"], _number(), state["network"], text)
    answer = wire.post(settings, wire.AFRICASTALKING, "/africastalking/ussd", form)
    kind, _space, screen = answer.body.partition(" ")
    state["ended"], state["screen"] = answer.status != 200 or kind != "CON", screen[:182]
    if state["ended"] and answer.status == 200:
        _report_end(settings, state, "Success", screen)
    session["phone_ussd"] = state
    encoding, length = screen_units(screen)
    limit = settings.ussd_max_chars if encoding == GSM7 else settings.ussd_ucs2_max_chars
    return jsonify(status=answer.status, kind=kind if answer.status == 200 else None, screen=screen,
                   ended=state["ended"], encoding=encoding, length=length, limit=limit, over=length > limit,
                   network=state["network"], devanagari=state["network"] in settings.ussd_ucs2_networks,
                   posted=form, error=None if answer.status == 200 else answer.body[:300])


def _report_end(settings, state: dict, status: str, last_screen: str) -> None:
    """What Africa's Talking posts when a session is over, so the session is logged (and counted) as a real one."""
    duration = int((time.monotonic() - state.get("started", time.monotonic())) * 1000)
    form = at_ussd_ended_form(state["id"], state["code"], _number(), state["network"], status, duration,
                              len(state["inputs"]) + 1, last_screen[:182], "*".join(state["inputs"])[-100:])
    wire.post(settings, wire.AFRICASTALKING, "/africastalking/ussd/events", form)


@requires("agronomist")
def sms():
    """An SMS from the phone as `provider` posts it; the answer arrives in the inbox (or inline, on Twilio)."""
    settings, provider = _settings(), request.form.get("provider", wire.AFRICASTALKING)
    words = _words()
    if not words.strip():
        abort(400, description=_("Type the message first."))
    if provider == wire.TWILIO:
        to = settings.twilio_from or HOTLINES[wire.TWILIO]
        form = twilio_sms_form("SM" + uuid.uuid4().hex, settings.twilio_account_sid or "AC" + "0" * 32, _number(),
                               to, words)
        path = "/twilio/sms"
    elif provider == wire.AFRICASTALKING:
        form = at_sms_form(str(uuid.uuid4()), _number(), settings.at_sender_id or HOTLINES[wire.AFRICASTALKING],
                           words, utcnow().strftime("%Y-%m-%d %H:%M:%S"), LATIN_NETWORK)
        path = "/africastalking/sms"
    else:
        abort(400, description=_("Send as Africa's Talking or Twilio."))
    _audit("phone_sms_sent", provider=provider, characters=len(words))
    answer = wire.post(settings, provider, path, form)
    reply = wire.read_sms_reply(answer.body) if provider == wire.TWILIO and answer.status == 200 else None
    return jsonify(status=answer.status, posted=form, inline_reply=reply, inbox=_inbox(),
                   error=None if answer.status in (200, 204) else answer.body[:300])


@requires("agronomist")
def inbox():
    return jsonify(number=_number(), inbox=_inbox())


def _inbox() -> list[dict]:
    """What the phone sent and what it got, oldest first: the outbox rows for its number (never sent: kept for this
    page) and Twilio's inline answers (given in the webhook's response, so Twilio, not our outbox, would send them)."""
    number, entries = _number(), []
    with service().backends.sessions() as db:
        outs = db.scalars(select(OutboundMessage).where(OutboundMessage.phone == number)
                          .order_by(OutboundMessage.id.desc()).limit(INBOX_SIZE)).all()
        ins = db.scalars(select(InboundMessage).where(InboundMessage.phone == number, InboundMessage.channel == "sms")
                         .order_by(InboundMessage.id.desc()).limit(INBOX_SIZE)).all()
        for row in outs:
            entries.append((row.created_at, 1, row.id, {
                "way": "in", "text": row.body, "encoding": row.encoding, "segments": row.segments,
                "status": row.status, "note": row.last_error, "purpose": row.purpose}))
        for row in ins:
            length = measure(row.text or "")
            entries.append((row.received_at, 0, row.id, {
                "way": "out", "text": row.text, "encoding": length.encoding, "segments": length.segments,
                "status": row.provider, "note": None, "purpose": row.intent}))
            reply = (row.extra or {}).get("reply") if row.provider == wire.TWILIO else None
            if reply:
                length = measure(reply)
                entries.append((row.received_at, 0.5, row.id, {
                    "way": "in", "text": reply, "encoding": length.encoding, "segments": length.segments,
                    "status": "inline", "note": _("Twilio's answer in the webhook's response"), "purpose": "reply"}))
    entries.sort(key=lambda e: (e[0] or utcnow(), e[1], e[2]))
    return [dict(entry, at=when.isoformat(timespec="seconds") if when else None)
            for when, _order, _id, entry in entries[-INBOX_SIZE:]]


ROUTES = (
    ("GET", "/phone", phone),
    ("POST", "/phone/ussd", ussd),
    ("POST", "/phone/sms", sms),
    ("POST", "/phone/voice", voice),
    ("GET", "/phone/inbox", inbox),
)
ENDPOINTS = {"phone": "phone", "ussd": "phone_ussd", "sms": "phone_sms", "voice": "phone_voice",
             "inbox": "phone_inbox"}
