"""The console's own words go through Babel, in their own domain (locales/console.pot; English now, the Hindi and
Marathi catalogues can follow): `_("...")` in Python, {{ _("...") }} and {% trans %} in the templates."""
from __future__ import annotations

from functools import lru_cache

from babel.support import NullTranslations, Translations
from flask import Flask

from locales import LOCALE_DIR

DOMAIN = "console"
UI_LOCALE = "en"


@lru_cache(maxsize=None)
def translations(locale: str = UI_LOCALE) -> NullTranslations:
    return Translations.load(str(LOCALE_DIR), [locale], domain=DOMAIN)


def _(message: str, **params) -> str:
    text = translations().gettext(message)
    return text % params if params else text


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_translations(translations(), newstyle=True)
