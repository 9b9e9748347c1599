import pytest

from farmdb.phones import InvalidPhoneNumber, mask_phone, mask_phones_in, to_e164


@pytest.mark.parametrize("raw, region, e164", [
    ("9876543210", "IN", "+919876543210"),
    ("09876543210", "IN", "+919876543210"),
    ("919876543210", "IN", "+919876543210"),
    ("+91 98765-43210", "IN", "+919876543210"),
    (" +91 (98765) 43210 ", "IN", "+919876543210"),
    ("+254712345678", "IN", "+254712345678"),  # a provider's E.164 wins over the default region
    ("254712345678", "IN", "+254712345678"),  # ... also when the '+' was dropped on the way
    ("0712345678", "KE", "+254712345678"),
    ("07123 456789", "GB", "+447123456789"),
])
def test_numbers_become_e164(raw, region, e164):
    assert to_e164(raw, region) == e164


@pytest.mark.parametrize("raw", ["", "   ", "12345", "abc", "+91 12345", "99999999999999999", "+0000000000"])
def test_invalid_numbers_are_refused(raw):
    with pytest.raises(InvalidPhoneNumber):
        to_e164(raw)


def test_the_refusal_does_not_echo_the_whole_number():
    with pytest.raises(InvalidPhoneNumber) as caught:
        to_e164("+91 5555512345")
    assert "5555512345" not in str(caught.value) and "+91******2345" in str(caught.value)


@pytest.mark.parametrize("phone, masked", [
    ("+919876543210", "+91******3210"),
    ("+254712345678", "+254*****5678"),
    ("+14155550123", "+1******0123"),
    ("9876543210", "******3210"),
])
def test_masking_keeps_country_and_last_four(phone, masked):
    assert mask_phone(phone) == masked


def test_masking_in_free_text():
    text = "from +919876543210 to 9123456789, order 12345, pin 411001, ticket 2026"
    assert mask_phones_in(text) == "from +91******3210 to ******6789, order 12345, pin 411001, ticket 2026"


@pytest.mark.parametrize("text, masked", [
    ("search +91 98220 11234 please", "search +91******1234 please"),
    ("search +91 98220-11234", "search +91******1234"),
    ("GET /console/farmers?q=%2B919822011234&page=2", "GET /console/farmers?q=+91******1234&page=2"),
    ("typed 98220 11234", "typed ******1234"),
    ("AT reported 254712345678 and 0712345678", "AT reported ********5678 and ******5678"),
    # Not numbers of people: prices, pin codes, timestamps, ids.
    ("Kanda 2150 at 411001 on 1784100000, ticket KS-7F3A, outbound 12345678", None),
])
def test_masking_numbers_as_people_type_them(text, masked):
    assert mask_phones_in(text) == (masked or text)
