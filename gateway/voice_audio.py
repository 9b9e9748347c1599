"""GET /voice/audio/...: the Hindi and Marathi clips Africa's Talking plays on calls, one clip or a whole turn
joined into one WAV (service.voice_audio says what a turn's URL names). Public and cacheable: they say nothing
about anyone."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, send_file

from gateway import routes
from service.voice_audio import ClipFormatError, assembled, decode, is_clip_id
from service.voice_words import WORDS

log = logging.getLogger(__name__)

CACHE_SECONDS = 86_400


def blueprint() -> Blueprint:
    return routes.blueprint("voice_audio", __name__, (
        ("GET", "/<locale>/<clip>.wav", clip),
        ("GET", "/<locale>/play/<token>.wav", play),
    ), url_prefix="/voice/audio")


def _locale_directory(locale: str) -> Path:
    if locale not in WORDS:
        abort(404)
    return current_app.extensions["kheti_voice_audio"].directory / locale


def clip(locale: str, clip: str):
    directory = _locale_directory(locale)
    path = directory / f"{clip}.wav"
    if not is_clip_id(clip) or not path.is_file():
        abort(404)
    return send_file(path, mimetype="audio/wav", max_age=CACHE_SECONDS)


def play(locale: str, token: str):
    directory = _locale_directory(locale)
    if decode(token) is None:
        abort(404)
    try:
        data = assembled(directory, token)
    except FileNotFoundError:
        abort(404)
    except ClipFormatError as exc:
        log.error("voice audio: %s", exc)
        abort(500)
    response = Response(data, mimetype="audio/wav")
    response.cache_control.public, response.cache_control.max_age = True, CACHE_SECONDS
    return response
