"""Hindi and Marathi audio for calls on providers that speak only English (Africa's Talking's Say).

Every clip is synthesised ahead of time by `kheti voice build-prompts` (gateway/cli_voice.py) and kept as
`<VAR_DIR>/voice/<locale>/<clip id>.wav`, the id being the SHA-1 of the text it says: rebuilding skips what exists.
A turn of a call is assembled from those clips, never synthesised on the call:

- a Phrase (dialogs/texts.py) is split at the placeholders of its catalogue message: the message's own words are
  clips, and each value is said from clips in turn (a nested Phrase the same way);
- a value is a clip when it is a name from the reference tables (crop, district, mandi, state, plan, an advisory) or
  a whole catalogue message; otherwise it is read: numbers from words for 0-99 (irregular in both languages) and
  hundred, thousand, lakh, crore (Indian grouping), money as the number then "rupees", a date as the day then the
  month, "<1" as "less than one", and codes (a ticket) letter by letter and digit by digit;
- the farmer's own name (`{name}`) is left out: nobody's name is built, and a greeting reads well without it;
  any other value that can be neither found nor read means no audio for that turn (the caller hears English).

AudioLibrary.prompt_url gives one URL for a turn; the URL names its clips (so any gateway process or host serves it
without shared state) and the blueprint below joins them into one WAV.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import io
import logging
import re
import string
import unicodedata
import wave
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Sequence

from flask import Blueprint, Response, abort, current_app, request, send_file

from dialogs.texts import BABEL_LOCALES, Phrase, texts

log = logging.getLogger(__name__)

CHANNELS, WIDTH, RATE = 1, 2, 8000  # mono 16-bit PCM at 8 kHz: what a phone line carries
FORMAT = (CHANNELS, WIDTH, RATE)
WORD_GAP_S, PHRASE_GAP_S = 0.08, 0.4  # clips are trimmed of silence when built; these pauses go back between them
MAX_CLIPS = 160  # a price screen is about 70; the bound keeps URLs under about 2,000 characters
ID_CHARS = 16  # hex digits of the SHA-1 kept in a clip's file name
SKIPPED = frozenset({"name"})  # placeholders said as nothing: the farmer's own name
CACHE_SECONDS = 86_400


@dataclass(frozen=True)
class Words:
    """How one language says what the catalogues write as digits, signs and abbreviations."""

    numbers: tuple[str, ...]  # 0 to 99, one word each
    hundred: str  # Hindi "सौ" after a digit (आठ सौ); Marathi's plain 100 (शंभर)
    hundreds: tuple[str, ...]  # Marathi 100-900 before more (एकशे ... नऊशे); Hindi composes them instead
    thousand: str
    lakh: str
    crore: str
    minus: str
    point: str
    less_than: str  # said after the number: "<1" is "one less than"
    to: str  # the dash of a range, "21-33"
    rupees: str
    letters: dict[str, str]  # Latin letters as they are said, for spelling codes
    abbreviations: tuple[tuple[str, str], ...]  # written in a message -> said

    def number(self, n: int) -> list[str]:
        """Indian grouping: 1,25,000 is "one lakh twenty-five thousand"."""
        if n < 100:
            return [self.numbers[n]]
        said = []
        for size, word in ((10_000_000, self.crore), (100_000, self.lakh), (1000, self.thousand)):
            if n >= size:
                said += self.number(n // size) + [word]
                n %= size
        if n >= 100:
            hundreds, n = divmod(n, 100)
            if self.hundreds:
                said.append(self.hundred if hundreds == 1 and not n else self.hundreds[hundreds - 1])
            else:
                said += [self.numbers[hundreds], self.hundred]
        return said + ([self.numbers[n]] if n else [])

    def pieces(self) -> set[str]:
        """Every word `number`, `read_value` and `said` can ask for."""
        return {*self.numbers, self.hundred, *self.hundreds, self.thousand, self.lakh, self.crore, self.minus,
                self.point, self.less_than, self.to, self.rupees, *self.letters.values()}


# Numbers as CLDR spells them out (common/rbnf/hi.xml and mr.xml).
_LETTERS = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "ए बी सी डी ई एफ़ जी एच आई जे के एल एम एन ओ पी क्यू आर एस टी यू वी "
                                                  "डब्ल्यू एक्स वाई ज़ेड".split()))
WORDS = {
    "hi": Words(
        numbers=tuple("""शून्य एक दो तीन चार पाँच छह सात आठ नौ दस ग्यारह बारह तेरह चौदह पन्द्रह सोलह सत्रह अठारह
            उन्नीस बीस इक्कीस बाईस तेईस चौबीस पच्चीस छब्बीस सत्ताईस अट्ठाईस उनतीस तीस इकतीस बत्तीस तैंतीस चौंतीस
            पैंतीस छत्तीस सैंतीस अड़तीस उनतालीस चालीस इकतालीस बयालीस तैंतालीस चौवालीस पैंतालीस छियालीस सैंतालीस
            अड़तालीस उनचास पचास इक्यावन बावन तिरेपन चौवन पचपन छप्पन सत्तावन अट्ठावन उनसठ साठ इकसठ बासठ तिरेसठ
            चौंसठ पैंसठ छियासठ सड़सठ अड़सठ उनहत्तर सत्तर इकहत्तर बहत्तर तिहत्तर चौहत्तर पचहत्तर छिहत्तर सतहत्तर
            अठहत्तर उनासी अस्सी इक्यासी बयासी तिरासी चौरासी पचासी छियासी सत्तासी अट्ठासी नवासी नब्बे इक्यानबे बानबे
            तिरानबे चौरानबे पंचानबे छियानबे सत्तानबे अट्ठानबे निन्यानबे""".split()),
        hundred="सौ", hundreds=(), thousand="हज़ार", lakh="लाख", crore="करोड़",
        minus="ऋण", point="दशमलव", less_than="से कम", to="से", rupees="रुपये", letters=_LETTERS,
        abbreviations=(("°C", " डिग्री"), ("मिमी", "मिलीमीटर")),
    ),
    "mr": Words(
        numbers=tuple("""शून्य एक दोन तीन चार पाच सहा सात आठ नऊ दहा अकरा बारा तेरा चौदा पंधरा सोळा सतरा अठरा एकोणीस
            वीस एकवीस बावीस तेवीस चोवीस पंचवीस सव्वीस सत्तावीस अठ्ठावीस एकोणतीस तीस एकतीस बत्तीस तेहतीस चौतीस
            पस्तीस छत्तीस सदतीस अडतीस एकोणचाळीस चाळीस एक्केचाळीस बेचाळीस त्रेचाळीस चव्वेचाळीस पंचेचाळीस सेहेचाळीस
            सत्तेचाळीस अठ्ठेचाळीस एकोणपन्नास पन्नास एक्कावन्न बावन्न त्रेपन्न चौपन्न पंचावन्न छप्पन्न सत्तावन्न
            अठ्ठावन्न एकोणसाठ साठ एकसष्ट बासष्ट त्रेसष्ट चौसष्ट पासष्ट सहासष्ट सदुसष्ट अडुसष्ट एकोणसत्तर सत्तर
            एकाहत्तर बाहत्तर त्र्याहत्तर चौर्याहत्तर पंच्याहत्तर शहात्तर सत्त्याहत्तर अठ्ठ्याहत्तर एकोणऐंशी ऐंशी
            एक्क्याऐंशी ब्याऐंशी त्र्याऐंशी चौर्याऐंशी पंच्याऐंशी शहाऐंशी सत्त्याऐंशी अठ्ठ्याऐंशी एकोणनव्वद नव्वद
            एक्याण्णव ब्याण्णव त्र्याण्णव चौर्याण्णव पंच्याण्णव शहाण्णव सत्त्याण्णव अठ्ठ्याण्णव नव्व्याण्णव""".split()),
        hundred="शंभर", hundreds=tuple("एकशे दोनशे तीनशे चारशे पाचशे सहाशे सातशे आठशे नऊशे".split()),
        thousand="हजार", lakh="लाख", crore="कोटी",
        minus="उणे", point="दशांश", less_than="पेक्षा कमी", to="ते", rupees="रुपये",
        letters={**_LETTERS, "F": "एफ", "Z": "झेड"},
        abbreviations=(("°C", " अंश"), ("मिमी", "मिलिमीटर")),
    ),
}
LOCALES = tuple(WORDS)
assert all(len(w.numbers) == 100 for w in WORDS.values()), "0-99: one word each"


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def clip_id(text: str) -> str:
    return hashlib.sha1(normalise(text).encode()).hexdigest()[:ID_CHARS]


def _sounds(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LNM"  # letters, digits and Devanagari vowel signs; not punctuation


def said(fragment: str, locale: str) -> str:
    """How the literal text of a catalogue message between placeholders is said; "" when it is only punctuation."""
    words, text = WORDS[locale], normalise(fragment)
    if text in ("-", "–"):
        return words.to  # "{tmin}-{tmax}": a range
    for written, spoken in words.abbreviations:
        text = text.replace(written, spoken)
    text = normalise(text)
    while text and not _sounds(text[0]):
        text = text[1:].lstrip()  # ": बारिश" after a placeholder; the closing punctuation stays for the intonation
    return text if any(map(_sounds, text)) else ""


def message_fragments(template: str, locale: str) -> list[str]:
    return [s for s in (said(literal, locale) for literal, *_ in string.Formatter().parse(template)) if s]


@lru_cache(maxsize=None)
def _months(locale: str) -> dict[str, str]:
    """Abbreviated month (as Texts.date writes it, "जुल॰") -> the month said in full (जुलाई)."""
    from babel import Locale
    months = Locale.parse(BABEL_LOCALES[locale]).months["format"]
    return {months["abbreviated"][m]: months["wide"][m] for m in range(1, 13)}


_NUMBER = re.compile(r"(-?)(\d{1,3}(?:,\d{2})*(?:,\d{3})|\d{1,3})(?:\.(\d+))?")  # 1,25,000 · 850 · 2.5
_CODE = re.compile(r"(?=.*\d)[A-Za-z0-9 -]+")  # a ticket: "4821937", "4 8 2 1 9 3 7", "KS-4821"
_DATE = re.compile(r"(\d{1,2}) (\S+)")


def read_value(value: str, locale: str) -> list[str] | None:
    """A value that is not a clip of its own, said from pieces; None when it cannot be read."""
    words = WORDS[locale]
    if value[:1] in ("₹", "<") and _NUMBER.fullmatch(value[1:]):  # ₹1,850 · "<1" mm of rain
        return read_value(value[1:], locale) + [words.rupees if value[0] == "₹" else words.less_than]
    if match := _NUMBER.fullmatch(value):
        sign, whole, decimals = match.groups()
        pieces = ([words.minus] if sign else []) + words.number(int(whole.replace(",", "")))
        return pieces + ([words.point] + [words.numbers[int(d)] for d in decimals] if decimals else [])
    if (match := _DATE.fullmatch(value)) and match[2] in _months(locale):
        return words.number(int(match[1])) + [_months(locale)[match[2]]]
    # Numbers come grouped (Texts.number), so four or more digits in a row are a code: read them one by one.
    if _CODE.fullmatch(value):
        return [words.numbers[int(ch)] if ch.isdigit() else words.letters[ch.upper()] for ch in value if ch not in " -"]
    return None


def spoken_texts(locale: str) -> set[str]:
    """Every text the assembler may ask for that is not in the database: the catalogue messages' words, the
    language names of the first menu, number words, months, letters. Names come from the reference tables."""
    from babel.messages.pofile import read_po

    from dialogs.flows.registration import language_choices
    from locales import LOCALE_DIR
    t, ids = texts(locale, False), set()
    for path in (LOCALE_DIR / "messages.pot", LOCALE_DIR / t.catalogue / "LC_MESSAGES" / "messages.po"):
        with path.open("rb") as po:
            ids |= {message.id for message in read_po(po) if message.id}
    found = {fragment for key in ids if (template := t.template(key)) != key
             for fragment in message_fragments(template, locale)}
    caller = SimpleNamespace(event=SimpleNamespace(latin=False))  # the language names as the first menu shows them
    found |= {normalise(choice.label) for choice in language_choices(caller)}
    return found | WORDS[locale].pieces() | set(_months(locale).values())


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

    def prompt_url(self, phrases: Sequence[str], locale: str) -> str | None:
        """An absolute URL playing these phrases in order from built clips; None when a clip is missing (the caller
        then hears English) or the turn is too long for one URL. Needs a request when there is no base URL."""
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
        base = (self.base_url or request.url_root).rstrip("/")
        if count == 1:
            return f"{base}/voice/audio/{locale}/{clip_id(groups[0][0])}.wav"
        token = ".".join(_encode([clip_id(text) for text in group]) for group in groups)
        return f"{base}/voice/audio/{locale}/play/{token}.wav"


# --- URLs: the clip ids of each phrase as URL-safe base64 (under 11 characters a clip), phrases joined by "." --

_ID = re.compile(rf"[0-9a-f]{{{ID_CHARS}}}")
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
def _assembled(directory: Path, token: str) -> bytes:
    return assemble(directory, decode(token))


bp = Blueprint("voice_audio", __name__, url_prefix="/voice/audio")


def _locale_directory(locale: str) -> Path:
    if locale not in WORDS:
        abort(404)
    return AudioLibrary.for_settings(current_app.config["KHETI_SETTINGS"]).directory / locale


@bp.get("/<locale>/<clip>.wav")
def clip(locale: str, clip: str):
    directory = _locale_directory(locale)
    path = directory / f"{clip}.wav"
    if not _ID.fullmatch(clip) or not path.is_file():
        abort(404)
    return send_file(path, mimetype="audio/wav", max_age=CACHE_SECONDS)


@bp.get("/<locale>/play/<token>.wav")
def play(locale: str, token: str):
    directory = _locale_directory(locale)
    if decode(token) is None:
        abort(404)
    try:
        data = _assembled(directory, token)
    except FileNotFoundError:
        abort(404)
    except ClipFormatError as exc:
        log.error("voice audio: %s", exc)
        abort(500)
    response = Response(data, mimetype="audio/wav")
    response.cache_control.public, response.cache_control.max_age = True, CACHE_SECONDS
    return response
