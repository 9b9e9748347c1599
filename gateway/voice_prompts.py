"""What the voice adapters (gateway/<provider>/voice.py) share about what a caller hears, whatever XML carries it:

- `hints`: the words a speech recogniser should expect on this turn (the options' names, then crop names);
- `audio_or_english`: for a language the provider cannot speak, the turn played from the audio built ahead of calls
  (`kheti voice build-prompts`, served by gateway/voice_audio.py), else its English wording, with a warning;
- `heard_recording`: a recording's URL as the dialog hears it: kept only on the provider's own hosts.
"""
from __future__ import annotations

import logging
import re
from typing import Sequence

from flask import current_app, request

from dialogs.texts import Phrase, texts
from gateway import context
from locales import SOURCE
from nlu.transliterate import to_latin
from farmdb.phones import mask_phone
from service.calls import Heard, Turn
from service.recordings import refusal

log = logging.getLogger(__name__)

MAX_HINTS = 80  # recognisers read a bounded list of hint phrases (Twilio's and Plivo's alike)
_DEVANAGARI = re.compile(r"[\u0900-\u097f]+")


def hints(turn: Turn) -> str:
    """Words the recogniser should expect here, comma-separated: the options' names, then crop names in the
    caller's language (in its own script and in Latin letters)."""
    words = [label.lstrip("+") for label in turn.prompt.labels.values()]
    words += _crop_words(turn.locale)
    seen, chosen = set(), []
    for word in words:
        word = word.replace(",", " ").strip()
        if word and word not in seen and len(word) <= 60:
            seen.add(word)
            chosen.append(word)
    return ", ".join(chosen[:MAX_HINTS])


def _crop_words(locale: str) -> list[str]:
    crops = context.conversations().voice_services.crops()
    return [c.label(locale, latin=False) for c in crops] + [c.label(locale, latin=True) for c in crops]


def audio_or_english(phrases: Sequence[str], locale: str) -> tuple[str | None, list[str]]:
    """(the URL playing these phrases as one clip, []) when their audio is built; otherwise (None, the phrases in
    English), and a warning: a caller hears English rather than nothing."""
    audio = current_app.extensions.get("kheti_voice_audio")
    url = audio.prompt_url(list(phrases), locale, request.url_root) if audio is not None else None
    if url:
        return url, []
    log.warning("no recorded prompt for this turn: saying it in English (run kheti voice build-prompts)",
                extra={"locale": locale})
    return None, [in_english(phrase) for phrase in phrases]


def in_english(phrase: str) -> str:
    """The English wording; names and dates already in Devanagari are read in Latin letters ("kaandaa")."""
    if isinstance(phrase, Phrase):
        english = texts(SOURCE, latin=False)
        phrase = english(phrase.key, **{k: in_english(v) if isinstance(v, str) else v
                                        for k, v in phrase.params.items()})
    return _DEVANAGARI.sub(lambda m: to_latin(m.group()), phrase)


def heard_recording(url: str, provider: str, caller: str) -> Heard:
    """The question recorded at `url`, unless the URL is not on the provider's own hosts (service.recordings): then
    the call goes on as after silence, and nothing is kept."""
    refused = refusal(url, provider)
    if refused:
        log.warning("recording not kept for %s: %s", mask_phone(caller), refused)
        return Heard("silence")
    return Heard("recording", url)
