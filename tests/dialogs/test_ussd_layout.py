"""Paging a view onto USSD screens: every page fits by encoding, words stay whole, navigation is on every page."""
import pytest

from dialogs.model import Option, View
from dialogs.ussd import UssdLayout
from dialogs.encoding import screen_units

NAV = (Option("0", "Back"), Option("00", "Home"))
MORE = Option("98", "More")
LAYOUT = UssdLayout(182, 80)


def _within(layout, text):
    encoding, units = screen_units(text)
    return units <= (layout.max_chars if encoding == "GSM-7" else layout.ucs2_max_chars)


def test_a_short_menu_is_one_screen_with_its_navigation():
    view = View(lines=("Choose:",), options=(Option("1", "Weather"), Option("2", "Prices")), nav=NAV, more=MORE)
    assert LAYOUT.pages(view) == ["Choose:\n1 Weather\n2 Prices\n0 Back\n00 Home"]
    assert LAYOUT.render(view, 0).startswith("CON Choose:")


def test_a_long_list_is_paged_with_more_on_all_but_the_last_page():
    view = View(lines=("Choose your district:",), options=tuple(Option(str(i), f"District number {i}")
                                                                 for i in range(1, 41)), nav=NAV, more=MORE)
    pages = LAYOUT.pages(view)
    assert len(pages) > 3
    for n, page in enumerate(pages):
        assert _within(LAYOUT, page)
        assert page.endswith("0 Back\n00 Home" + ("\n98 More" if n < len(pages) - 1 else ""))
    listed = [line.split(" ")[0] for page in pages for line in page.splitlines()
              if line.split(" ")[0].isdigit() and line.split(" ")[0] not in ("0", "00", "98")]
    assert listed == [str(i) for i in range(1, 41)]  # every option once, in order


@pytest.mark.parametrize("limit", [182, 160, 120])
def test_a_long_text_is_split_between_words(limit):
    words = ("Apply 40 kg urea per acre after the first irrigation and keep the field free of weeds "
             "for thirty days ") * 6
    layout = UssdLayout(limit, 80)
    pages = layout.pages(View(lines=(words.strip(),), nav=NAV, more=MORE))
    assert len(pages) > 1
    body = " ".join(line for page in pages for line in page.splitlines() if line not in ("0 Back", "00 Home",
                                                                                        "98 More"))
    assert body == words.strip()
    assert all(len(page) <= limit for page in pages)


def test_devanagari_uses_the_ucs2_limit():
    text = "गेहूं की बुवाई के समय खेत में पर्याप्त नमी रखें और बीज उपचार जरूर करें। " * 4
    pages = LAYOUT.pages(View(lines=(text.strip(),), nav=(Option("0", "पीछे"),), more=Option("98", "और")))
    assert len(pages) > 2
    for page in pages:
        assert screen_units(page) == ("UCS-2", len(page)) and len(page) <= 80


def test_one_devanagari_option_makes_the_whole_screen_ucs2():
    view = View(lines=("Choose:",), options=tuple(Option(str(i), "Kapas") for i in range(1, 20))
                + (Option("20", "कपास"),), nav=NAV, more=MORE)
    for page in LAYOUT.pages(view):
        assert _within(LAYOUT, page)


def test_an_end_screen_is_never_paged_and_fits():
    view = View(lines=("Noted. " * 60,), end=True)
    [page] = LAYOUT.pages(view)
    assert len(page) <= 182 and page.endswith("...")
    assert LAYOUT.render(view, 0).startswith("END ")


def test_a_page_past_the_end_shows_the_last_page():
    view = View(lines=("x",), options=tuple(Option(str(i), "Option") for i in range(30)), nav=NAV, more=MORE)
    assert LAYOUT.render(view, 99) == "CON " + LAYOUT.pages(view)[-1]
