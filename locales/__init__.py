"""Babel catalogues for every text a farmer sees: locales/<catalogue>/LC_MESSAGES/messages.po, compiled to .mo by
`make install` (and the Dockerfile). This package finds and loads them; `locales.languages` says which there are."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent
DOMAIN = "messages"
SOURCE = "en"  # message ids fall back to English: its catalogue is the source the others translate


@lru_cache(maxsize=None)
def translations(catalogue: str) -> NullTranslations:
    """The compiled catalogue ("hi", "hi_Latn"); English falls back to the message id itself."""
    loaded = Translations.load(str(LOCALE_DIR), [catalogue], domain=DOMAIN)
    if catalogue != SOURCE and not isinstance(loaded, Translations):
        raise LookupError(f"no compiled catalogue for {catalogue!r}: run `make install` (pybabel compile)")
    return loaded


def po_path(catalogue: str) -> Path:
    return LOCALE_DIR / catalogue / "LC_MESSAGES" / f"{DOMAIN}.po"
