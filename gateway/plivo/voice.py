"""Calls over Plivo: POST /plivo/voice (the call once answered, and every GetInput or Record action after it)
answered with Plivo XML built by the SDK (plivo.plivoxml), and POST /plivo/voice/status (the call's hangup URL: its
status, duration and cost close the call log).

English and Hindi are spoken by Plivo's Amazon Polly voices (VOICES); Marathi, which Plivo cannot speak, is played
from the audio built ahead of calls, or said in English with a warning when a clip is missing, as on Africa's
Talking. Each menu is a GetInput that takes one key or speech (hinted with the option names and crop names); a
question is recorded (up to 60 s, # to finish). Nothing heard moves Plivo on to the Redirect after it: silence.

The calls we place (call-backs, the expert desk's bridge) carry our reference and their kind in their URLs
(`?call=...&kind=`, see service.providers.plivo): the reference, not Plivo's CallUUID, names such a call here, and
every action URL we render keeps it. Action URLs are absolute, built from PUBLIC_BASE_URL when set, so Plivo signs
the URL we verify.
"""
from __future__ import annotations

import logging
import re
from urllib.parse import urlencode

from flask import Response, abort, request
from plivo import plivoxml

from dialogs.texts import N_, texts
from farmdb.farmers import ERASED
from farmdb.models import CallLog
from gateway import context
from gateway.forms import fraction, link, money, phone, read, sender_phone, value, whole, words
from gateway.plivo.numbers import with_plus
from gateway.voice_prompts import audio_or_english, heard_recording, hints
from locales import SOURCE
from locales.languages import language
from service.call_log import call_phone, log_call, note_call, note_screen
from service.calls import Heard, Turn, take_turn
from service.conversations import UNAVAILABLE
from service.missed_calls import missed_call
from service.providers.plivo import NAME, digits

log = logging.getLogger(__name__)

# Plivo's Speak (language, voice) per locale: Amazon Polly's Aditi speaks Indian English and Hindi. A locale not
# here is played from pre-built audio (gateway.voice_prompts).
VOICES = {"en": ("en-IN", "Polly.Aditi"), "hi": ("hi-IN", "Polly.Aditi")}
INPUT_TIMEOUT_S = 6
RECORD_MAX_S = 60
_SECONDS = re.compile(r"[0-9]{1,6}")

# What Plivo posts, field by field, bounded by the columns the values go in (gateway.forms).
REFERENCE = (value("call", CallLog.call_id), value("kind", limit=16))  # ours, in the query of the calls we place
PLACED = ("callback", "bridge")
CALL = (value("CallUUID", CallLog.call_id, required=True), phone("From", required=True),
        phone("To", required=True), value("Direction", limit=16),  # inbound | outbound
        words("Digits", limit=8), words("Speech", limit=300), fraction("SpeechConfidenceScore"),
        link("RecordUrl"),  # the URL is judged by service.recordings
        value("RecordingDuration", limit=12, drop_bad=True))  # seconds; -1 when nothing was recorded
STATUS = (value("CallUUID", CallLog.call_id, required=True), value("CallStatus", CallLog.status, required=True),
          whole("Duration", CallLog.duration_s), money("TotalCost", CallLog.cost))


def voice():
    form = read(request.form, CALL)
    reference, kind = _placed()
    call_id = reference or form["CallUUID"]
    service, conversations = context.service(), context.conversations()
    settings = service.settings
    # A call we placed says so in its own signed URL; Plivo's Direction is only asked when the URL does not.
    outbound = bool(reference) or form["Direction"] == "outbound"
    line = with_plus(form["From"] if outbound else form["To"])
    turn_kind = request.args.get("turn")
    if turn_kind is None and not outbound and line in settings.missed_call_numbers:
        missed_call(service, provider=NAME, call_id=call_id, caller=with_plus(form["From"]), line=line)
        return _xml(_response(plivoxml.HangupElement(reason="rejected")))  # unanswered: the farmer pays nothing
    try:
        if turn_kind is None and kind == "bridge":  # the agronomist answered: now ring the farmer
            return _xml(_bridge(call_phone(service.backends, provider=NAME, call_id=call_id, kind="bridge"),
                                settings))
        # A call we placed rings the farmer: they are To; on their own call, From.
        caller = sender_phone(with_plus(form["To"] if outbound else form["From"]), "To" if outbound else "From")
        heard = _heard(form, turn_kind, caller)
        if heard.kind == "start":
            # Answered now; a call-back's row is the workers' (kind "callback"), made when it was placed.
            log_call(service.backends, provider=NAME, call_id=call_id, direction="outbound" if outbound else "inbound",
                     kind="callback" if outbound else "hotline", phone=caller, line=line, status="in-progress")
        turn = take_turn(conversations, call_id, caller, heard, callback=outbound)
    except UNAVAILABLE as exc:
        log.error("call turn refused, a backend is unavailable: %s: %s", type(exc).__name__, exc)
        locale = settings.default_locale
        return _xml(_response(*_speech([texts(locale, latin=False)(N_("voice.busy"))], locale),
                              plivoxml.HangupElement()))
    note_screen(service.backends, provider=NAME, call_id=call_id, screen=turn.screen)
    return _xml(render(turn))


def _placed() -> tuple[str, str]:
    """Our reference and what the call is for ("callback" or "bridge"), for a call we placed (`?call=&kind=`);
    empty for a farmer's own call, which the form's CallUUID names."""
    placed = read(request.args, REFERENCE)
    if placed["call"] and request.args.get("turn") is None and placed["kind"] not in PLACED:
        abort(400, description="kind: a call we placed is a callback or a bridge")
    return placed["call"], placed["kind"]


def _heard(form, turn_kind: str | None, caller: str) -> Heard:
    if turn_kind is None:
        return Heard("start")
    if turn_kind == "silence":
        return Heard("silence")
    if turn_kind == "record":
        url, seconds = form["RecordUrl"], form["RecordingDuration"]
        if not (url and _SECONDS.fullmatch(seconds) and int(seconds) > 0):  # "-1", "0" or none: nothing recorded
            return Heard("silence")
        return heard_recording(url, NAME, caller)
    if form["Digits"]:
        return Heard("keys", form["Digits"])
    if form["Speech"]:
        return Heard("speech", form["Speech"], form["SpeechConfidenceScore"] or 0.0)
    return Heard("silence")


def render(turn: Turn) -> plivoxml.ResponseElement:
    locale, prompt = turn.locale, turn.prompt
    if prompt.hangup:
        return _response(*_speech(prompt.phrases, locale), plivoxml.HangupElement())
    if prompt.listen == "recording":
        record = plivoxml.RecordElement(action=_action("record"), method="POST", max_length=RECORD_MAX_S,
                                        finish_on_key="#", play_beep=True, timeout=5, file_format="mp3",
                                        redirect=True)
        return _response(*_speech(prompt.phrases, locale), record, _redirect("silence"))
    # One key answers (numDigits 1), or words: a name is words only.
    listen = dict(input_type="speech") if prompt.listen == "text" else dict(input_type="dtmf speech", num_digits=1)
    get = plivoxml.GetInputElement(action=_action("input"), method="POST", execution_timeout=INPUT_TIMEOUT_S,
                    language=language(locale).speech_locale, hints=hints(turn) or None, redirect=True, **listen)
    phrases = prompt.phrases
    if turn.screen == context.conversations().dialog.home_screen:
        phrases += (texts(locale, latin=False)(N_("voice.or_say")),)  # "gehun ka bhav" goes straight there
    for element in _speech(phrases, locale):
        get.add(element)
    return _response(get, _redirect("silence"))


def _speech(phrases, locale: str) -> list[plivoxml.PlivoXMLElement]:
    """Spoken by Plivo's voice for the locale; otherwise played from pre-built audio, or said in English."""
    if locale not in VOICES:
        url, phrases = audio_or_english(phrases, locale)
        if url:
            return [plivoxml.PlayElement(url)]
        locale = SOURCE
    speak_language, voice = VOICES[locale]
    return [plivoxml.SpeakElement(phrase, language=speak_language, voice=voice) for phrase in phrases]


def _bridge(farmer: str | None, settings) -> plivoxml.ResponseElement:
    """Ring the farmer from our voice number (never the agronomist's own), once the agronomist has answered."""
    if farmer is None:  # the desk's row never committed (a rolled-back request): whom to connect is unknown
        log.error("a bridge answered with no log row: nobody to connect the agronomist to")
        return _response(plivoxml.HangupElement())
    if farmer == ERASED:  # erased while the agronomist's phone rang: nobody to connect them to
        return _response(plivoxml.HangupElement(reason="rejected"))
    number = settings.plivo_voice_number  # set whenever a bridge was placed (service.providers.plivo)
    dial = plivoxml.DialElement(caller_id=digits(number) if number else None)
    dial.add(plivoxml.NumberElement(digits(farmer)))
    return _response(dial)


def _action(turn_kind: str) -> str:
    base = context.settings().public_base_url or request.host_url.rstrip("/")
    query = {"turn": turn_kind}
    if reference := _placed()[0]:
        query["call"] = reference  # a call we placed keeps its name in every URL Plivo calls next
    return f"{base}/plivo/voice?{urlencode(query)}"


def _redirect(turn_kind: str) -> plivoxml.RedirectElement:
    return plivoxml.RedirectElement(_action(turn_kind), method="POST")


def _response(*elements: plivoxml.PlivoXMLElement) -> plivoxml.ResponseElement:
    response = plivoxml.ResponseElement()
    for element in elements:
        response.add(element)
    return response


def _xml(response: plivoxml.ResponseElement) -> Response:
    return Response(response.to_string(pretty=False), mimetype="application/xml")


def voice_status():
    """Plivo's hangup URL: the call is over; its status, duration and cost close the call log."""
    form = read(request.form, STATUS)
    call_id = _placed()[0] or form["CallUUID"]
    status, cost = form["CallStatus"], form["TotalCost"]
    known = note_call(context.service().backends, provider=NAME, call_id=call_id, status=status, final=True,
                      duration_s=form["Duration"], cost=cost, currency="USD" if cost is not None else None)
    if not known:
        log.info("hangup of a call we have no log of", extra={"status": status})
    return Response(status=204)
