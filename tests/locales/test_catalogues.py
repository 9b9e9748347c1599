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


# Screens that end a USSD session are never paged: their text must fit one screen whole, or the farmer reads "...".
END_SCREENS = ("pest.done", "expert.done", "ussd.expired", "ussd.busy", "ussd.bad_phone", "account.deleted",
               "subscribe.done", "reg.consent.declined")


@pytest.mark.parametrize("name", CATALOGUES)
def test_a_screen_that_ends_the_session_fits_whole_with_the_longest_crop_and_a_ticket(name):
    import json

    from dialogs.encoding import GSM7, screen_units

    crops = json.loads((LOCALES.parent / "farmdb" / "seed" / "data" / "crops.json").read_text(encoding="utf-8"))
    locale, _, script = name.partition("_")
    crop = max((c["romanised" if script else "names"].get(locale) or c["names"]["en"] for c in crops), key=len)
    catalogue = _catalogue(name)
    for key in END_SCREENS:
        text = catalogue[key].string.format(ticket="9999999", crop=crop)
        encoding, units = screen_units(text)
        assert units <= (182 if encoding == GSM7 else 80), (key, units, text)


TICKET_WORDS = {"hi": "शिकायत नंबर {ticket}", "mr": "नोंद क्रमांक {ticket}", "hi_Latn": "shikayat number {ticket}",
                "mr_Latn": "nond kramank {ticket}"}


@pytest.mark.parametrize("name", TICKET_WORDS)
def test_a_ticket_is_a_complaint_number_or_an_entry_number_never_a_bus_ticket(name):
    with_ticket = {k: m.string for k, m in _catalogue(name).items() if "{ticket}" in m.string}
    assert with_ticket and [k for k, s in with_ticket.items() if TICKET_WORDS[name] not in s.lower()] == []
    words = {k: m.string.replace("{ticket}", "").lower() for k, m in _catalogue(name).items()}
    assert [k for k, s in words.items() if any(w in s for w in ("टिकट", "तिकीट", "ticket", "tikat", "tiket"))] == []


# One romanised spelling per word (the language review): the spelling kept, and the ones it replaced.
SPELLINGS = {"hi_Latn": {"jila": ["zila"], "peechhe": ["peeche"], "khad": ["khaad"], "barish": ["baarish"],
                         "sawal": ["sawaal"], "pani": ["paani"], "dhanyavad": ["dhanyavaad"], "kuchh": ["kuch"],
                         "bhav": ["bhaav"], "expert": ["visheshagya"]},
             "mr_Latn": {"phavarni": ["favarni"], "zade": ["jhade"], "nav": ["naav"], "hatvali": ["hatavli"],
                         "vyast": ["vyasta"], "dhanyavad": ["dhanyavaad"], "pani": ["paani"]}}


@pytest.mark.parametrize("name", SPELLINGS)
def test_one_romanised_spelling_per_word_in_the_catalogues_and_the_advisories(name):
    import json
    import re

    advisories = json.loads((LOCALES.parent / "farmdb" / "seed" / "data" / "advisories.json").read_text("utf-8"))
    texts = [m.string for m in _catalogue(name).values()] + [a["texts"].get(name, "") for a in advisories]
    words = {w.lower() for text in texts for w in re.findall(r"[A-Za-z]+", text)}
    for kept, replaced in SPELLINGS[name].items():
        assert not words & set(replaced), (kept, words & set(replaced))
