"""How texts write values: dates with the month in full, as farmers read and hear them ("18 नवंबर", never "18 नव॰")."""
from datetime import date

import pytest
from babel.dates import get_month_names

from dialogs.texts import texts


@pytest.mark.parametrize("locale, latin, babel", [("hi", False, "hi_IN"), ("mr", False, "mr_IN"),
                                                  ("en", False, "en_IN"), ("hi", True, "en_IN"),
                                                  ("mr", True, "en_IN")])
def test_every_month_is_written_in_full(locale, latin, babel):
    t = texts(locale, latin)
    wide = get_month_names("wide", locale=babel)
    for month in range(1, 13):
        day = date(2026, month, 18)
        assert t.date(day) == f"18 {wide[month]}"
        assert t.date(day, year=True) == f"18 {wide[month]} 2026"
    assert texts("hi", False).date(date(2026, 11, 18), year=True) == "18 नवंबर 2026"
    assert texts("mr", False).date(date(2026, 11, 18), year=True) == "18 नोव्हेंबर 2026"
    assert texts("hi", True).date(date(2026, 11, 18), year=True) == "18 November 2026"
