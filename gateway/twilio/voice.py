"""Calls over Twilio: POST /twilio/voice (the incoming call, and every Gather or Record action after it) answered
with TwiML (twilio.twiml.voice_response.VoiceResponse), and POST /twilio/voice/status (the call's progress, kept on
its call log).

Each answer speaks the screen in the caller's language (Say with the locale's language and TWILIO_VOICES' voice)
inside a Gather that takes one key or speech (hinted with the option names and crop names), or records a question
(up to 60 s, # to finish). Action URLs are absolute, built from PUBLIC_BASE_URL when set, so Twilio signs the URL
we verify.
"""
from __future__ import annotations

import logging

from flask import Response, request
from twilio.twiml.voice_response import VoiceResponse

from dialogs.texts import N_, texts
from farmdb.models import CallLog
from gateway import context
from gateway.forms import fraction, link, phone, read, sender_phone, value, whole, words
from gateway.voice_prompts import heard_recording, hints
from locales.languages import language
from service.call_log import log_call, note_call, note_screen
from service.calls import Heard, Turn, take_turn
from service.conversations import UNAVAILABLE
from service.missed_calls import missed_call
from service.providers.twilio import NAME

log = logging.getLogger(__name__)

FINAL = {"completed", "busy", "failed", "no-answer", "canceled"}
GATHER_TIMEOUT_S = 6
RECORD_MAX_S = 60

# What Twilio posts, field by field, bounded by the columns the values go in (gateway.forms).
CALL = (value("CallSid", CallLog.call_id, required=True), phone("From", required=True),
        phone("To", required=True), value("Direction", limit=24),  # inbound, outbound-api, outbound-dial
        words("Digits", limit=8), words("SpeechResult", limit=300), fraction("Confidence"),
        link("RecordingUrl"), whole("RecordingDuration"))  # the URL is judged by service.recordings
STATUS = (value("CallSid", CallLog.call_id, required=True), value("CallStatus", CallLog.status, required=True),
          whole("CallDuration", CallLog.duration_s))


def voice():
    form = read(request.form, CALL)
    service, conversations = context.service(), context.conversations()
    settings = service.settings
    outbound = form["Direction"].startswith("outbound")
    line = form["From"] if outbound else form["To"]
    call_id, turn_kind = form["CallSid"], request.args.get("turn")
    if turn_kind is None and not outbound and line in settings.missed_call_numbers:
        missed_call(service, provider=NAME, call_id=call_id, caller=form["From"], line=line)
        return _twiml(_rejected())
    caller = sender_phone(form["To"] if outbound else form["From"], "To" if outbound else "From")
    heard = _heard(form, turn_kind, caller)
    try:
        if heard.kind == "start":
            # Answered now, whatever it was ringing as.
            log_call(service.backends, provider=NAME, call_id=call_id, direction="outbound" if outbound else "inbound",
                     kind="callback" if outbound else "hotline", phone=caller, line=line, status="in-progress")
        turn = take_turn(conversations, call_id, caller, heard, callback=outbound)
    except UNAVAILABLE as exc:
        log.error("call turn refused, a backend is unavailable: %s: %s", type(exc).__name__, exc)
        return _twiml(_busy(settings.default_locale, settings))
    note_screen(service.backends, provider=NAME, call_id=call_id, screen=turn.screen)
    return _twiml(render(turn, settings, speech=True))


def _heard(form, turn_kind: str | None, caller: str) -> Heard:
    if turn_kind is None:
        return Heard("start")
    if turn_kind == "silence":
        return Heard("silence")
    if turn_kind == "record":
        url = form["RecordingUrl"]
        if not (url and form["RecordingDuration"]):
            return Heard("silence")
        return heard_recording(url, NAME, caller)
    if form["Digits"]:
        return Heard("keys", form["Digits"])
    if form["SpeechResult"]:
        return Heard("speech", form["SpeechResult"], form["Confidence"] or 0.0)
    return Heard("silence")


def render(turn: Turn, settings, *, speech: bool) -> VoiceResponse:
    locale, prompt = turn.locale, turn.prompt
    speech_locale = language(locale).speech_locale
    say = dict(language=speech_locale, voice=dict(settings.twilio_voices).get(locale))
    response = VoiceResponse()
    if prompt.hangup:
        for phrase in prompt.phrases:
            response.say(phrase, **say)
        response.hangup()
        return response
    if prompt.listen == "recording":
        for phrase in prompt.phrases:
            response.say(phrase, **say)
        response.record(action=_action("record"), method="POST", max_length=RECORD_MAX_S, finish_on_key="#",
                        play_beep=True, timeout=5, trim="trim-silence")
        # Twilio skips the action when nothing was recorded and goes on to the next verb: that is silence.
        response.redirect(_action("silence"), method="POST")
        return response
    # One key answers (no waiting for # after it); # alone is a key pressed on nothing, answered "not offered".
    listen = {"input": "speech"} if prompt.listen == "text" else \
        {"input": "dtmf speech" if speech else "dtmf", "num_digits": 1, "finish_on_key": ""}
    gather = response.gather(action=_action("gather"), method="POST", timeout=GATHER_TIMEOUT_S,
                             action_on_empty_result=True, language=speech_locale, speech_timeout="auto",
                             hints=hints(turn) or None, **listen)
    phrases = prompt.phrases
    if speech and turn.screen == context.conversations().dialog.home_screen:
        phrases += (texts(locale, latin=False)(N_("voice.or_say")),)  # "gehun ka bhav" goes straight there
    for phrase in phrases:
        gather.say(phrase, **say)
    return response


def _action(turn_kind: str) -> str:
    base = context.settings().public_base_url or request.host_url.rstrip("/")
    return f"{base}/twilio/voice?turn={turn_kind}"


def _rejected() -> VoiceResponse:
    response = VoiceResponse()
    response.reject(reason="busy")  # unanswered: the farmer pays nothing; we call back
    return response


def _busy(locale: str, settings) -> VoiceResponse:
    response = VoiceResponse()
    response.say(texts(locale, latin=False)(N_("voice.busy")), language=language(locale).speech_locale,
                 voice=dict(settings.twilio_voices).get(locale))
    response.hangup()
    return response


def _twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="application/xml")


def voice_status():
    """Twilio's call progress: kept on the call log (final statuses close it, with the duration)."""
    form = read(request.form, STATUS)
    status = form["CallStatus"]
    known = note_call(context.service().backends, provider=NAME, call_id=form["CallSid"], status=status,
                      final=status in FINAL, duration_s=form["CallDuration"])
    if not known:
        log.info("status for a call we have no log of", extra={"status": status})
    return Response(status=204)
