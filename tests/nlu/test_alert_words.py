"""Price alerts as farmers write them, read by the parser: the keyword's forms, and the bare "crop price place" that is
an alert only when it is nothing else."""
import pytest

from nlu.alert_words import AlertWords, read_amount
from nlu.parser import Parser


@pytest.fixture(scope="module")
def parser(tmp_path_factory):
    return Parser(tmp_path_factory.mktemp("nlu"))


def alert(amount=None, direction=None, place="", keyword=True, **rest):
    return AlertWords(keyword=keyword, amount=amount, direction=direction, place=place, **rest)


# (message, the crop read, the alert read; None: not an alert)
MESSAGES = [
    ("ALERT kanda 2000", "onion", alert(2000)),
    ("alert KANDA 2000 lasalgaon", "onion", alert(2000, place="lasalgaon")),
    ("ALERT soyabean 4500 below", "soybean", alert(4500, "below")),
    ("Alert tur Rs 7,000 latur", "pigeon_pea", alert(7000, place="latur")),
    ("ALERT onion ₹2500/- per quintal", "onion", alert(2500)),
    ("alert pyaz 1500 se neeche", "onion", alert(1500, "below")),
    ("अलर्ट सोयाबीन 4800 वर", "soybean", alert(4800, "above")),
    ("ALERT कांदा २५०० लासलगाव", "onion", alert(2500, place="लासलगाव")),
    ("ALERT onion", "onion", alert()),  # no price: the reply says how
    ("ALERTS", None, alert(listing=True)),
    ("alert", None, alert(listing=True)),
    ("ALERT CANCEL 2", None, alert(cancel=(2,))),
    ("alert off 1 3", None, alert(cancel=(1, 3))),
    ("ALERT CANCEL ALL", None, alert(cancel="all")),
    ("alert radd sagle", None, alert(cancel="all")),
    ("ALERT CANCEL", None, alert(cancel=())),
    # Without the keyword: a crop, one price and at most a short place
    ("onion 2000 lasalgaon", "onion", alert(2000, place="lasalgaon", keyword=False)),
    ("कांदा 2000 लासलगाव", "onion", alert(2000, place="लासलगाव", keyword=False)),
    ("kapas 7500 upar nagpur", "cotton", alert(7500, "above", place="nagpur", keyword=False)),
    ("onion 2000", "onion", None),  # without a place, a bare sum: not an alert without the keyword
    ("wheat 10 quintal", "wheat", None),  # 10 is no price a quintal
    ("ALERT 2,500 kanda", "onion", alert(2500)),  # the price first; "kanda" is the crop, not a place
    ("ALERT rs.2500 onion lasalgaon", "onion", alert(2500, place="lasalgaon")),
    ("ALERT sugar cane 3000", "sugarcane", alert(3000)),  # a crop of two words
    ("ALERT pigeon pea 7000 latur", "pigeon_pea", alert(7000, place="latur")),
    ("pusa 1121 ka bhav kya hai", None, None),  # a variety's number, no crop: a question
    ("onion price lasalgaon", "onion", None),  # no price
    ("gehun 2 acre me kitna khad dalna hai", "wheat", None),  # not a price, too many other words
    ("onion 2000 or 2500 lasalgaon", "onion", None),  # two prices: which?
]


@pytest.mark.parametrize("text, crop, expected", MESSAGES)
def test_alerts_as_farmers_write_them(parser, text, crop, expected):
    parse = parser.parse(text)
    assert parse.alert == expected
    if expected and expected.amount:
        assert parse.entities["crop"] == crop
    if expected and expected.keyword:
        assert (parse.intent, parse.keyword, parse.confident) == ("price_alert", True, True)


def test_a_bare_alert_keeps_the_models_intent_for_the_caller_to_fall_back_on(parser):
    parse = parser.parse("onion 2000 lasalgaon")
    assert not parse.keyword and parse.intent != "price_alert" and parse.alert.amount == 2000


@pytest.mark.parametrize("text, amount", [
    ("2500", 2500), ("2,500", 2500), ("Rs2500", 2500), ("rs.2500", 2500), ("₹2500", 2500), ("2500/-", 2500),
    ("२५००", 2500), ("1,25,000", 125000), ("2500rs", 2500),
    ("0", None), ("10", None), ("99", None), ("100", 100), ("25.50", None), ("abc", None), ("99999999", None),
    ("2500kg", None), ("", None),
])
def test_a_price_as_farmers_type_it(text, amount):
    assert read_amount(text) == amount
