"""Calls over Africa's Talking: POST /africastalking/voice, answered with AT's voice XML.

AT posts the same callback for every step of a call: isActive=1 while it lasts (with dtmfDigits after GetDigits,
recordingUrl after Record), and isActive=0 once at the end with durationInSeconds, amount and currencyCode, which
close the call log. AT's Say reads English only: Hindi and Marathi are played from audio this gateway serves,
assembled from clips made ahead of time (`kheti voice build-prompts`); if a clip is missing the English wording is
said instead, and a warning logged. GetDigits takes one key; no key moves AT on to a Redirect back here, which is
how silence is heard.
"""
from __future__ import annotations

import logging
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from flask import Response, request

from dialogs.texts import N_, texts
from farmdb.farmers import ERASED
from farmdb.models import CallLog
from gateway import context
from gateway.forms import link, money, phone, read, required, sender_phone, value, whole, words
from gateway.voice_prompts import audio_or_english, heard_recording
from locales import SOURCE
from service.call_log import call_phone, log_call, note_call, note_screen
from service.calls import Heard, Turn, take_turn
from service.conversations import UNAVAILABLE
from service.missed_calls import missed_call
from service.providers.africastalking import NAME

log = logging.getLogger(__name__)

GATHER_TIMEOUT_S = 6
RECORD_MAX_S = 60

# What AT posts, field by field, bounded by the columns the values go in (gateway.forms).
CALLBACK = (value("sessionId", CallLog.call_id, required=True), value("isActive", limit=1, required=True),
            value("direction", CallLog.direction), phone("callerNumber"), phone("destinationNumber"),
            words("dtmfDigits", limit=8), link("recordingUrl"),  # the URL is judged by service.recordings
            whole("durationInSeconds", CallLog.duration_s), money("amount", CallLog.cost),
            value("currencyCode", CallLog.cost_currency, drop_bad=True))  # AT re-sends the end until a 200


def voice():
    form = read(request.form, CALLBACK)
    service, conversations = context.service(), context.conversations()
    call_id = form["sessionId"]
    if form["isActive"] == "0":
        return _ended(service.backends, call_id, form)
    settings = service.settings
    turn_kind = request.args.get("turn")
    outbound = form["direction"].lower() == "outbound"
    line = settings.at_voice_number if outbound else form["destinationNumber"]
    if turn_kind is None and not outbound and line in settings.missed_call_numbers:
        missed_call(service, provider=NAME, call_id=call_id, caller=form["callerNumber"], line=line)
        return _xml(_response(ET.Element("Reject")))
    try:
        if turn_kind is None and outbound:
            farmer = call_phone(service.backends, provider=NAME, call_id=call_id, kind="bridge")
            if farmer == ERASED:  # erased while the agronomist's phone rang: nobody to connect them to
                return _xml(_response(ET.Element("Reject")))
            if farmer is not None:  # "call the farmer" from the desk: the agronomist answered, now ring the farmer
                return _xml(_response(ET.Element("Dial", phoneNumbers=farmer, record="false")))
        # Our call-back: the worker logged it when placing the call, with the farmer's number (AT's direction says
        # so even when AT is quicker than that write; callerNumber is then the farmer, as AT documents it). Asked on
        # a call's first webhook, and on an outbound call's: a farmer's own call needs no database read per turn.
        callback = call_phone(service.backends, provider=NAME, call_id=call_id, kind="callback") \
            if turn_kind is None or outbound else None
        outbound = outbound or callback is not None
        if callback is not None:
            caller, line = callback, settings.at_voice_number
        else:
            required(request.form, "callerNumber")
            caller = sender_phone(form["callerNumber"], "callerNumber")
        heard = _heard(form, turn_kind, caller)
        if heard.kind == "start":
            log_call(service.backends, provider=NAME, call_id=call_id, kind="callback" if outbound else "hotline",
                     direction="outbound" if outbound else "inbound", phone=caller, line=line, status="in-progress")
        turn = take_turn(conversations, call_id, caller, heard, callback=outbound)
    except UNAVAILABLE as exc:
        log.error("call turn refused, a backend is unavailable: %s: %s", type(exc).__name__, exc)
        locale = settings.default_locale
        return _xml(_response(*_speak([texts(locale, latin=False)(N_("voice.busy"))], locale)))
    note_screen(service.backends, provider=NAME, call_id=call_id, screen=turn.screen)
    return _xml(render(turn))


def _heard(form, turn_kind: str | None, caller: str) -> Heard:
    if turn_kind is None:
        return Heard("start")
    if turn_kind == "record":
        url = form["recordingUrl"]
        if not url:  # AT's way of saying nothing was recorded
            return Heard("silence")
        return heard_recording(url, NAME, caller)
    digits = form["dtmfDigits"]
    return Heard("keys", digits) if digits else Heard("silence")


def render(turn: Turn) -> ET.Element:
    prompt, locale = turn.prompt, turn.locale
    speech = _speak(prompt.phrases, locale)
    if prompt.hangup:
        return _response(*speech)
    if prompt.listen in ("recording", "text"):  # no speech recognition on AT: a spoken answer is recorded
        record = ET.Element("Record", finishOnKey="#", maxLength=str(RECORD_MAX_S), trimSilence="true",
                            playBeep="true", callbackUrl=_url("record"))
        return _response(*speech, record, _redirect("silence"))  # nothing recorded: AT moves on to here
    # GetDigits holds one Say or Play: what comes before it is said first (a key pressed then is not heard).
    get = ET.Element("GetDigits", numDigits="1", timeout=str(GATHER_TIMEOUT_S), finishOnKey="#",
                     callbackUrl=_url("keys"))
    get.append(speech[-1])
    return _response(*speech[:-1], get, _redirect("silence"))


def _redirect(turn_kind: str) -> ET.Element:
    redirect = ET.Element("Redirect")
    redirect.text = _url(turn_kind)
    return redirect


def _speak(phrases, locale: str) -> list[ET.Element]:
    """English is said; Hindi and Marathi are played, all phrases as one assembled clip."""
    if locale != SOURCE:
        url, phrases = audio_or_english(phrases, locale)
        if url:
            return [ET.Element("Play", url=url)]
    say = ET.Element("Say", voice="woman")
    say.text = " ".join(phrases)
    return [say]


def _url(turn_kind: str) -> str:
    settings = context.settings()
    base = settings.public_base_url or request.host_url.rstrip("/")
    query = {"turn": turn_kind}
    if settings.at_webhook_token:
        query["token"] = settings.at_webhook_token
    return f"{base}/africastalking/voice?{urlencode(query)}"


def _response(*actions: ET.Element) -> ET.Element:
    response = ET.Element("Response")
    response.extend(actions)
    return response


def _xml(response: ET.Element) -> Response:
    body = '<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(response, encoding="unicode")
    return Response(body, mimetype="application/xml")


def _ended(backends, call_id: str, form) -> Response:
    """The final notification: duration and cost close the call log. AT repeats it until it gets a 200."""
    known = note_call(backends, provider=NAME, call_id=call_id, status="completed", final=True,
                      duration_s=form["durationInSeconds"], cost=form["amount"],
                      currency=form["currencyCode"] or None)
    if not known:
        log.info("end of a call we have no log of")
    return Response(status=200)
