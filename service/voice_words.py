"""How Hindi and Marathi (every language whose call audio is built ahead: locales.languages) say what the
catalogues write as digits, signs and abbreviations, so that a call's prompt can be said from clips: numbers from
words for 0-99 and hundred, thousand, lakh, crore (Indian grouping), money as the number then "rupees", a date as the
day then the month, "<1" as "less than one", codes letter by letter. The words themselves are each language's data
(locales/<code>/spoken.json, numbers as CLDR spells them out: common/rbnf/hi.xml and mr.xml).
"""
from __future__ import annotations

import json
import re
import string
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from babel import Locale
from babel.messages.pofile import read_po

from dialogs.texts import texts
from locales import LOCALE_DIR, po_path
from locales.languages import BUILT_AUDIO, LANGUAGES, language

SPOKEN_FILE = "spoken.json"


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

    @classmethod
    def load(cls, code: str) -> "Words":
        data = json.loads((LOCALE_DIR / code / SPOKEN_FILE).read_text(encoding="utf-8"))
        return cls(**{**data, "numbers": tuple(data["numbers"]), "hundreds": tuple(data["hundreds"]),
                      "abbreviations": tuple(tuple(pair) for pair in data["abbreviations"])})

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


WORDS = {code: Words.load(code) for code in BUILT_AUDIO}
assert all(len(w.numbers) == 100 for w in WORDS.values()), "0-99: one word each"


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


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
    """A month as a date writes it (Texts.date: in full, "जुलाई"; abbreviated in older texts, "जुल॰") -> the month
    said in full (जुलाई)."""
    months = Locale.parse(language(locale).babel_locale).months["format"]
    return {months[width][m]: months["wide"][m] for width in ("abbreviated", "wide") for m in range(1, 13)}


_NUMBER = re.compile(r"(-?)(\d{1,3}(?:,\d{2})*(?:,\d{3})|\d{1,3})(?:\.(\d+))?")  # 1,25,000 · 850 · 2.5
_CODE = re.compile(r"(?=.*\d)[A-Za-z0-9 -]+")  # a ticket: "4821937", "4 8 2 1 9 3 7", "KS-4821"
_DATE = re.compile(r"(\d{1,2}) (\S+)(?: (\d{4}))?")  # 18 नवंबर · 18 नवंबर 2026


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
        year = words.number(int(match[3])) if match[3] else []
        return words.number(int(match[1])) + [_months(locale)[match[2]]] + year
    # Numbers come grouped (Texts.number), so four or more digits in a row are a code: read them one by one.
    if _CODE.fullmatch(value):
        return [words.numbers[int(ch)] if ch.isdigit() else words.letters[ch.upper()] for ch in value if ch not in " -"]
    return None


def spoken_texts(locale: str) -> set[str]:
    """Every text the assembler may ask for that is not in the database: the catalogue messages' words, the
    language names of the first menu, number words, months, letters. Names come from the reference tables."""
    t, ids = texts(locale, False), set()
    for path in (LOCALE_DIR / "messages.pot", po_path(t.catalogue)):
        with path.open("rb") as po:
            ids |= {message.id for message in read_po(po) if message.id}
    found = {fragment for key in ids if (template := t.template(key)) != key
             for fragment in message_fragments(template, locale)}
    found |= {normalise(each.menu_label(latin=False)) for each in LANGUAGES}  # as the first menu names them
    return found | WORDS[locale].pieces() | set(_months(locale).values())
