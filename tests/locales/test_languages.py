"""The one list of languages, and everything that derives from it agreeing with what locales/ ships."""
import json

import pytest

from dialogs.flows import farmer_dialog
from locales import LOCALE_DIR, po_path
from locales.languages import BUILT_AUDIO, CATALOGUES, CODES, LANGUAGES, language
from service.settings import Settings
from service.variables import DEFAULT_VOICES


def test_every_language_ships_its_catalogues():
    for catalogue in CATALOGUES:
        assert po_path(catalogue).is_file(), catalogue
    assert {language.catalogue(latin=True) for language in LANGUAGES} <= set(CATALOGUES)
    assert language("hi").catalogue(latin=True) == "hi_Latn" and language("en").catalogue(latin=True) == "en"


def test_a_language_with_built_call_audio_has_its_number_words():
    for code in BUILT_AUDIO:
        words = json.loads((LOCALE_DIR / code / "spoken.json").read_text(encoding="utf-8"))
        assert len(words["numbers"]) == 100 and len(words["letters"]) == 26, code
    assert set(BUILT_AUDIO) == {"hi", "mr"}  # English is said by the providers' own speech


def test_settings_take_their_languages_from_the_list():
    settings = Settings.from_env({})
    assert dict(settings.twilio_voices).keys() == set(CODES) and DEFAULT_VOICES.count("=") == len(CODES)
    with pytest.raises(ValueError, match="DEFAULT_LOCALE"):
        Settings.from_env({"DEFAULT_LOCALE": "fr"})


def test_the_language_menu_offers_every_language_in_order():
    from dialogs.context import Ctx
    from dialogs.model import Event, Session
    menu = farmer_dialog()["language"]
    ctx = Ctx(Session(screen="language"), Event("start", "+919812345678", "ussd", latin=False), services=None)
    assert [choice.value for choice in menu.options(ctx)] == list(CODES)
    assert [choice.label for choice in menu.options(ctx)] == ["English", "हिंदी (Hindi)", "मराठी (Marathi)"]


def test_an_unknown_language_is_named_in_the_error():
    with pytest.raises(LookupError, match="no language 'fr'"):
        language("fr")
