"""The catalogues: complete in every language, placeholders intact, and Latin ones truly GSM-7."""
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from locales.languages import CATALOGUES
from dialogs.encoding import is_gsm7

LOCALES = Path(__file__).parents[2] / "locales"


def _catalogue(name):
    with open(LOCALES / name / "LC_MESSAGES" / "messages.po", "rb") as f:
        return {m.id: m for m in read_po(f) if m.id}


def _template_ids():
    with open(LOCALES / "messages.pot", "rb") as f:
        return {m.id for m in read_po(f) if m.id}


def _fields(text):
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("name", CATALOGUES)
def test_every_message_is_translated(name):
    catalogue = _catalogue(name)
    assert set(catalogue) == _template_ids(), "run pybabel extract and update the catalogues"
    empty = [m.id for m in catalogue.values() if not m.string or m.fuzzy]
    assert empty == []


@pytest.mark.parametrize("name", [c for c in CATALOGUES if c != "en"])
def test_placeholders_match_english(name):
    english, catalogue = _catalogue("en"), _catalogue(name)
    for key, message in catalogue.items():
        assert _fields(message.string) == _fields(english[key].string), key


@pytest.mark.parametrize("name", ["hi", "mr"])
def test_indic_catalogues_are_really_translated(name):
    english, catalogue = _catalogue("en"), _catalogue(name)
    wordy = {k for k, m in english.items() if any(lit.strip(" ,:;()-?/") for lit, *_ in
                                                   string.Formatter().parse(m.string))}  # not just "{crop}, {stage}:"
    same = [k for k in wordy if catalogue[k].string == english[k].string]
    assert same == []
    latin_only = [k for k in wordy if not any("\u0900" <= ch <= "\u097f" for ch in catalogue[k].string)]
    assert latin_only == []


@pytest.mark.parametrize("name", ["en", "hi_Latn", "mr_Latn"])
def test_latin_catalogues_fit_gsm7(name):
    """What a Latin-only USSD screen or a cheap SMS shows must not force UCS-2."""
    bad = [k for k, m in _catalogue(name).items() if not is_gsm7(m.string)]
    assert bad == []
