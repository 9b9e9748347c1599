"""Hindi and Marathi audio for calls on providers that speak only English (Africa's Talking's Say).

Every clip is synthesised ahead of time by `kheti voice build-prompts` (cli/voice_prompts.py) and kept as
`<VAR_DIR>/voice/<locale>/<clip id>.wav`, the id being the SHA-1 of the text it says: rebuilding skips what exists.
A turn of a call is assembled from those clips, never synthesised on the call:

- a Phrase (dialogs/texts.py) is split at the placeholders of its catalogue message: the message's own words are
  clips, and each value is said from clips in turn (a nested Phrase the same way);
- a value is a clip when it is a name from the reference tables (crop, district, mandi, state, plan, an advisory) or
  a whole catalogue message; otherwise it is read (service.voice_words: numbers, money, dates, codes);
- the farmer's own name (`{name}`) is left out: nobody's name is built, and a greeting reads well without it;
  any other value that can be neither found nor read means no audio for that turn (the caller hears English).

AudioLibrary.prompt_url gives one URL for a turn; the URL names its clips (so any gateway process or host serves it
without shared state) and gateway/voice_audio.py joins them into one WAV.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import io
import logging
import re
import string
import wave
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from dialogs.texts import Phrase, texts
from service.voice_words import WORDS, normalise, read_value, said

log = logging.getLogger(__name__)

CHANNELS, WIDTH, RATE = 1, 2, 8000  # mono 16-bit PCM at 8 kHz: what a phone line carries
FORMAT = (CHANNELS, WIDTH, RATE)
WORD_GAP_S, PHRASE_GAP_S = 0.08, 0.4  # clips are trimmed of silence when built; these pauses go back between them
MAX_CLIPS = 160  # a price screen is about 70; the bound keeps URLs under about 2,000 characters
ID_CHARS = 16  # hex digits of the SHA-1 kept in a clip's file name
SKIPPED = frozenset({"name"})  # placeholders said as nothing: the farmer's own name


def clip_id(text: str) -> str:
    return hashlib.sha1(normalise(text).encode()).hexdigest()[:ID_CHARS]


class AudioLibrary:
    """The built clips of every locale under `directory`, and the URLs that play them."""

    def __init__(self, directory: Path, base_url: str | None):
        self.directory = Path(directory)
        self.base_url = base_url

    @classmethod
    def for_settings(cls, settings) -> "AudioLibrary":
        return cls(Path(settings.var_dir).resolve() / "voice", settings.public_base_url)

    def path(self, locale: str, text: str) -> Path:
        return self.directory / locale / f"{clip_id(text)}.wav"

    def has(self, locale: str, text: str) -> bool:
        return self.path(locale, text).is_file()

    def pieces(self, phrases: Sequence[str], locale: str) -> list[list[str]] | None:
        """What each phrase is said with, clip by clip; None when some value can be neither found nor read.
        Whether every clip is built is prompt_url's question."""
        said_phrases = [self._phrase(phrase, locale) for phrase in phrases]
        return None if None in said_phrases else said_phrases

    def _phrase(self, phrase: object, locale: str) -> list[str] | None:
        if not isinstance(phrase, Phrase):
            return self._value(phrase, locale)
        template = texts(locale, False).template(phrase.key)
        if (template.format(**phrase.params) if phrase.params else template) != phrase:
            return self._value(phrase, locale)  # not this locale's message (or an older catalogue): say it whole
        pieces = []
        for literal, field, _, _ in string.Formatter().parse(template):
            if spoken := said(literal, locale):
                pieces.append(spoken)
            if field is None or field in SKIPPED:
                continue
            value_pieces = self._phrase(phrase.params[field], locale)  # a nested Phrase, a name, a number...
            if value_pieces is None:
                return None
            pieces += value_pieces
        return pieces

    def _value(self, value: object, locale: str) -> list[str] | None:
        if isinstance(value, (int, float)):
            value = texts(locale, False).number(value)  # grouped as on a screen: 1,850
        text = normalise(str(value))
        if not text:
            return []
        if self.has(locale, text):
            return [text]
        pieces = read_value(text, locale)
        if pieces is None:
            log.debug("voice audio %s: cannot say %r", locale, text)
        return pieces

    def prompt_url(self, phrases: Sequence[str], locale: str, request_root: str = "") -> str | None:
        """An absolute URL playing these phrases in order from built clips; None when a clip is missing (the caller
        then hears English) or the turn is too long for one URL. `request_root` is where this gateway was reached,
        for when there is no PUBLIC_BASE_URL."""
        pieces = self.pieces(phrases, locale) if locale in WORDS else None
        if pieces is None:
            return None
        groups = [group for group in pieces if group]
        count = sum(map(len, groups))
        if not groups or count > MAX_CLIPS:
            log.debug("voice audio %s: nothing to say or %d clips in one turn", locale, count)
            return None
        for text in (text for group in groups for text in group):
            if not self.has(locale, text):
                log.debug("voice audio %s: no clip for %r (%s)", locale, text, clip_id(text))
                return None
        base = (self.base_url or request_root).rstrip("/")
        if count == 1:
            return f"{base}/voice/audio/{locale}/{clip_id(groups[0][0])}.wav"
        token = ".".join(_encode([clip_id(text) for text in group]) for group in groups)
        return f"{base}/voice/audio/{locale}/play/{token}.wav"


# --- URLs: the clip ids of each phrase as URL-safe base64 (under 11 characters a clip), phrases joined by "." --

_ID = re.compile(rf"[0-9a-f]{{{ID_CHARS}}}")


def is_clip_id(text: str) -> bool:
    return _ID.fullmatch(text) is not None
_TOKEN_PART = re.compile(r"[A-Za-z0-9_-]+")


def _encode(ids: list[str]) -> str:
    return base64.urlsafe_b64encode(b"".join(bytes.fromhex(i) for i in ids)).rstrip(b"=").decode()


def decode(token: str) -> list[list[str]] | None:
    """The clip ids a play token names, phrase by phrase; None unless it is exactly what prompt_url writes."""
    groups, size = [], ID_CHARS // 2
    for part in token.split("."):
        if not _TOKEN_PART.fullmatch(part):
            return None
        try:
            raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except (binascii.Error, ValueError):
            return None
        if not raw or len(raw) % size:
            return None
        groups.append([raw[i:i + size].hex() for i in range(0, len(raw), size)])
        if _encode(groups[-1]) != part:
            return None  # one spelling per prompt, so the cache below keys on it
    return groups if sum(map(len, groups)) <= MAX_CLIPS else None


# --- serving -------------------------------------------------------------------------------------------------

class ClipFormatError(Exception):
    """A clip on disk is not in FORMAT: it was not written by build-prompts."""


def read_clip(path: Path) -> bytes:
    try:
        with wave.open(str(path), "rb") as clip:
            if (clip.getnchannels(), clip.getsampwidth(), clip.getframerate()) != FORMAT:
                raise ClipFormatError(f"{path}: {clip.getnchannels()} channel(s), {clip.getsampwidth() * 8}-bit, "
                                      f"{clip.getframerate()} Hz; every clip must be mono 16-bit {RATE} Hz")
            return clip.readframes(clip.getnframes())
    except (wave.Error, EOFError) as exc:
        raise ClipFormatError(f"{path}: not a PCM WAV file ({exc})") from None


def _silence(seconds: float) -> bytes:
    return bytes(int(seconds * RATE) * CHANNELS * WIDTH)


def assemble(directory: Path, groups: list[list[str]]) -> bytes:
    """One WAV: the clips of each phrase with a short gap between words and a longer one between phrases."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(CHANNELS)
        wav.setsampwidth(WIDTH)
        wav.setframerate(RATE)
        for g, group in enumerate(groups):
            for n, clip in enumerate(group):
                if g or n:
                    wav.writeframes(_silence(WORD_GAP_S if n else PHRASE_GAP_S))
                wav.writeframes(read_clip(directory / f"{clip}.wav"))
    return out.getvalue()


@lru_cache(maxsize=64)  # the main menu and today's prices are asked for all day
def assembled(directory: Path, token: str) -> bytes:
    return assemble(directory, decode(token))
