"""Babel catalogues for every text a farmer sees: locales/<lang>/LC_MESSAGES/messages.po, compiled to .mo by
`make install` (and the Dockerfile). This package only finds and loads them."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent
DOMAIN = "messages"
SHIPPED = ("en", "hi", "mr")


@lru_cache(maxsize=None)
def translations(locale: str) -> NullTranslations:
    """The compiled catalogue for a locale; English falls back to the message id itself."""
    loaded = Translations.load(str(LOCALE_DIR), [locale], domain=DOMAIN)
    if locale != "en" and not isinstance(loaded, Translations):
        raise LookupError(f"no compiled catalogue for {locale!r}: run `make install` (pybabel compile)")
    return loaded
