import pytest

from dialogs.encoding import GSM7, UCS2, measure, screen_units

DEVANAGARI = "गेहूं का भाव"


@pytest.mark.parametrize("text, encoding, units, segments", [
    ("", GSM7, 0, 1),
    ("a" * 160, GSM7, 160, 1),
    ("a" * 161, GSM7, 161, 2),
    ("a" * 306, GSM7, 306, 2),
    ("a" * 307, GSM7, 307, 3),
    ("{" * 80, GSM7, 160, 1),  # extension characters take two septets each
    ("{" * 81, GSM7, 162, 2),
    ("a" * 152 + "€" + "a" * 6, GSM7, 160, 1),
    ("a" * 152 + "€" + "a" * 7, GSM7, 161, 2),
    ("a" * 152 + "€" + "a" * 152, GSM7, 306, 3),  # the escape pair may not straddle parts: 152 | 2+151 | 1
    ("Rs 2,150/qtl at Lasalgaon. Rain 12mm @ Nashik", GSM7, 45, 1),
    ("èéùìò ÄÖÑÜ ß ¿¡ £¥$ @", GSM7, 21, 1),
    ("₹2,150", UCS2, 6, 1),  # the rupee sign is not GSM-7
    ("“quoted”", UCS2, 8, 1),  # nor are curly quotes
    (DEVANAGARI * 5 + "गे" * 5, UCS2, 70, 1),
    (DEVANAGARI * 5 + "गे" * 5 + "ं", UCS2, 71, 2),
    ("क" * 134, UCS2, 134, 2),
    ("क" * 135, UCS2, 135, 3),
    ("🌧" * 35, UCS2, 70, 1),  # each emoji is a surrogate pair: two UCS-2 units
    ("🌧" * 36, UCS2, 72, 2),
    ("क" * 66 + "🌧" + "क" * 66, UCS2, 134, 3),  # the pair is not split: 66 | 2+64 | 2
    ("प्लॅन फुलोऱ्यात", UCS2, 15, 1),  # Marathi's ॅ and ऱ are single UCS-2 units like any Devanagari letter
])
def test_length_is_counted_by_encoding(text, encoding, units, segments):
    length = measure(text)
    assert (length.encoding, length.units, length.segments) == (encoding, units, segments)


def test_a_ussd_screen_is_measured_in_characters_not_bytes():
    assert screen_units("1 Mausam\n2 Mandi bhav") == (GSM7, 21)
    assert screen_units("1 मौसम\n2 मंडी भाव") == (UCS2, 17)
    assert len("1 मौसम\n2 मंडी भाव".encode()) > 17
