"""The voice reading of a screen: groups of five read out, one-digit keys mapped back to the dialogs' numbers, the
way on said after the options, answers in words recorded or heard, and the ear's own wording where it differs."""
from datetime import date

import pytest

from dialogs.model import Option, Reply, View
from dialogs.texts import texts
from dialogs.voice import SPOKEN, VoiceLayout, render, spoken

NAV = (Option("0", "Back"), Option("00", "Home"))


def _view(n_options, nav=NAV, **kw):
    t = texts("en", latin=False)
    return View(lines=(t("prices.crop.title"),), options=tuple(Option(str(i), f"Crop {i}")
                                                             for i in range(1, n_options + 1)),
                nav=nav, more=Option("98", "More"), **kw)


def test_a_long_list_is_read_five_at_a_time_with_local_keys():
    t = texts("en", latin=False)
    first = render(Reply(_view(12), page=0), t)
    assert first.phrases[0] == t("prices.crop.title")
    assert first.phrases[1:6] == tuple(f"For Crop {i}, press {i}." for i in range(1, 6))
    assert first.phrases[6:] == ("For more choices, press 9.", "To go back, press 0.",
                                 "For the main menu, press star.")
    assert first.keys == {"1": "1", "2": "2", "3": "3", "4": "4", "5": "5", "9": "98", "0": "0", "*": "00"}
    last = render(Reply(_view(12), page=2), t)
    assert last.keys == {"1": "11", "2": "12", "0": "0", "*": "00"}  # no "more" on the last group
    assert last.phrases[1] == "For Crop 11, press 1."
    assert set(first.labels) == {str(i) for i in range(1, 13)}  # every option, for speech to match against


def test_a_multiple_choice_says_what_is_chosen_and_how_to_finish():
    t = texts("hi", latin=False)
    view = View(lines=("फसलें चुनें",), options=(Option("1", "+प्याज"), Option("2", "गेहूं")),
                nav=(Option("99", "हो गया"),) + NAV)
    prompt = render(Reply(view), t)
    assert "प्याज, चुना हुआ: 1 दबाइए।" in prompt.phrases and "गेहूं: 2 दबाइए।" in prompt.phrases
    assert prompt.keys["8"] == "99" and prompt.phrases[-3] == "चुनने के बाद 8 दबाइए।"


def test_a_question_in_words_listens_for_text_or_records():
    t = texts("mr", latin=False)
    assert render(Reply(View(lines=("?",), asks="text")), t).listen == "text"
    asked = render(Reply(View(lines=("?",), asks="recording")), t)
    assert (asked.listen, asked.keys) == ("recording", {})


def test_the_last_screen_says_goodbye_and_hangs_up():
    t = texts("en", latin=False)
    prompt = render(Reply(View(lines=("Ticket KS-1234.",), end=True)), t)
    assert prompt.hangup and prompt.phrases == ("Ticket KS-1234.", "Thank you for calling Kheti Sahayak. Goodbye.")


@pytest.mark.parametrize("locale", ["en", "hi", "mr"])
def test_screen_wording_meant_for_the_eye_is_replaced_for_the_ear(locale):
    t = texts(locale, latin=False)
    typed = t("reg.name.prompt")
    assert spoken(t, typed) == t("voice.reg.name.prompt") != typed
    line = t("prices.line", mandi="Lasalgaon", date=t.date(date(2026, 7, 15)), modal=t.money(1850),
             low=t.number(1700), high=t.number(2000))
    said = spoken(t, line)
    assert "(" not in said and "1,700" in said and "2,000" in said and "₹1,850" in said
    assert spoken(t, "plain text") == "plain text"


def test_every_voice_wording_has_the_same_values_as_the_screens():
    import string
    for catalogue in ("en", "hi", "mr", "hi_Latn", "mr_Latn"):
        locale, _, script = catalogue.partition("_")
        t = texts(locale, latin=bool(script))
        for key in SPOKEN:
            fields = {f for _, f, _, _ in string.Formatter().parse(t.template(key)) if f}
            voice = {f for _, f, _, _ in string.Formatter().parse(t.template(f"voice.{key}")) if f}
            assert fields == voice, (catalogue, key)


@pytest.mark.parametrize("locale, days", [("en", ("Monday", "Saturday")), ("hi", ("सोमवार", "शनिवार")),
                                          ("mr", ("सोमवार", "शनिवार"))])
def test_the_days_of_a_call_back_are_said_in_full_on_a_call(locale, days):
    t = texts(locale, latin=False)
    shown = t("expert.done", ticket="4821937")
    said = spoken(t, shown)
    assert "-" in shown.split("(")[-1] and "(" not in said  # "(Mon-Sat)" on a screen
    assert all(day in said for day in days) and "4 8 2 1 9 3 7" in said


def test_voice_pages_by_options_read():
    layout = VoiceLayout()
    assert [layout.page_count(_view(n)) for n in (0, 1, 5, 6, 10, 11)] == [1, 1, 1, 2, 2, 3]
