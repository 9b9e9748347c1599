"""Africa's Talking's USSD `text`: every input of the session joined by '*', read here into what is new."""
import pytest

from gateway.africastalking.ussd import new_input


@pytest.mark.parametrize("history, text, expected", [
    (None, "", ("first", "")),
    (None, "1*2", ("stale", "")),  # a session we never saw, mid-history: start afresh
    ("", "", ("repeat", "")),
    ("", "1", ("input", "1")),
    ("1", "1*2", ("input", "2")),
    ("1*Ramesh", "1*Ramesh*21", ("input", "21")),
    ("1", "1*Ram*esh", ("input", "Ram*esh")),  # '*' typed inside an answer stays in it
    ("1", "1*", ("input", "")),  # an empty answer
    ("1*2", "1*2", ("repeat", "")),
    ("1*2*3", "1*2", ("repeat", "")),  # a late copy of an earlier hop
    ("1*2", "9*9*9", ("stale", "")),
])
def test_only_the_new_input_is_read_from_the_history(history, text, expected):
    assert new_input(history, text) == expected
