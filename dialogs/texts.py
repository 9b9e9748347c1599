"""Every text a farmer sees, looked up by a stable message id (`menu.main.title`) in the Babel catalogues.

A farmer has a language (locales.languages); a channel that shows only Latin letters (most USSD operators) gets the
romanised catalogue of that language (hi_Latn, mr_Latn): "Mandi bhav", not "मंडी भाव".
"""
from __future__ import annotations

from functools import lru_cache

from babel.dates import format_date
from babel.numbers import format_decimal

from locales import SOURCE, translations
from locales.languages import language


def N_(key: str) -> str:
    """Marks a message id for extraction (`pybabel extract` finds N_ by default) and returns it unchanged."""
    return key


class Phrase(str):
    """A translated text that remembers its message id and values: a screen shows it as the string it is, while
    the voice channel can speak it from pre-recorded pieces (the words of the message, then each value)."""

    __slots__ = ("key", "params")

    def __new__(cls, text: str, key: str, params: dict):
        phrase = super().__new__(cls, text)
        phrase.key, phrase.params = key, params
        return phrase

    def __getnewargs__(self):  # copies and pickles keep what the phrase remembers
        return str(self), self.key, self.params


class Texts:
    """Texts in one catalogue. Missing ids fall back to English; load-time validation keeps them from missing."""

    def __init__(self, locale: str, latin: bool):
        self.locale, self.latin = locale, latin
        self.catalogue = language(locale).catalogue(latin)
        self._babel = language(locale).babel_locale
        self._own = translations(self.catalogue)
        self._english = translations(SOURCE)

    def __call__(self, key: str, **params) -> "Phrase":
        return Phrase(self.template(key).format(**params) if params else self.template(key), key, params)

    def template(self, key: str) -> str:
        """The catalogue text itself, placeholders and all."""
        text = self._own.gettext(key)
        return self._english.gettext(key) if text == key else text

    def has(self, key: str) -> bool:
        return self._own.gettext(key) != key

    def number(self, value: int | float) -> str:
        """Indian digit grouping (1,25,000), Latin digits: what farmers read on price boards."""
        return _grouped(value, self._babel)

    def date(self, day, year: bool = False) -> str:
        """'18 नवंबर', '18 नोव्हेंबर 2026' with `year`: the month in full, as farmers read and say it (never 'नव॰').
        Latin-only screens get English month names (Babel has no romanised Hindi months): '18 November'."""
        return format_date(day, "d MMMM y" if year else "d MMMM", locale="en_IN" if self.latin else self._babel)

    def money(self, rupees: int) -> str:
        """₹2,150 where the screen can show it; 'Rs 2,150' on Latin-only screens (₹ is not GSM-7)."""
        return ("Rs " if self.latin else "₹") + self.number(rupees)


@lru_cache(maxsize=8192)  # prices repeat all day; Babel's formatting is slow next to a dict lookup
def _grouped(value: int | float, babel_locale: str) -> str:
    return format_decimal(value, locale=babel_locale)


@lru_cache(maxsize=None)
def texts(locale: str, latin: bool) -> Texts:
    return Texts(locale, latin)
