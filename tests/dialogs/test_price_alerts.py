"""Price alerts in the dialogs, on the farm in memory: set from the price screen on USSD, listed and cancelled there,
and the same by SMS keyword or as "onion 2000 lasalgaon". Pure: what must happen comes back as effects."""
from dataclasses import replace
from datetime import date

import pytest

from dialogs import sms
from dialogs.effects import CancelPriceAlerts, SetPriceAlert
from dialogs.engine import resume
from dialogs.flows import farmer_dialog
from dialogs.flows.price_alerts import MAX_ALERTS
from dialogs.model import Event, Session
from dialogs.services import PriceAlertInfo
from dialogs.sms import Chat, Message
from dialogs.texts import texts
from nlu.alert_words import AlertWords
from nlu.parser import Parse
from tests.dialogs.farm import FAR, FARMER, FRESH, INDORE, LASALGAON, NASHIK, PURNIA, Farm

PHONE = "+919812345678"
en = texts("en", latin=True)
TILL = date(2026, 10, 13)  # the farm's today, 15 July, and 90 days
ONION_AT_LASALGAON = PriceAlertInfo(501, "onion", LASALGAON, None, "above", 2500, TILL)
ONION_NEAR_HOME = PriceAlertInfo(502, "onion", None, NASHIK, "below", 1500, TILL)


def ussd(farm: Farm, *inputs: str, channel: str = "ussd"):
    dialog = farmer_dialog()
    session, reply, effects = resume(None, Event("start", PHONE, channel), farm, dialog)
    for text in inputs:
        session = Session.from_dict(session.to_dict())
        session, reply, more = resume(session, Event("input", PHONE, channel, text), farm, dialog)
        effects += more
    shown = "\n".join([*reply.view.lines, *(f"{o.key} {o.label}" for o in reply.view.options)])
    return session, shown, effects


def alert(**changes) -> SetPriceAlert:
    values = dict(farmer_id=7, crop="onion", mandi_id=301, district_id=None, direction="above", amount=2500,
                  channel="ussd", expires_on=TILL, armed=True)
    return SetPriceAlert(**{**values, **changes})


# Main menu 2 (prices), 2 (onion): Lasalgaon at 1,850 today; then 1 "Set a price alert".
PRICES = ("2", "2")


@pytest.mark.parametrize("inputs, effect, shown", [
    # Above today's 1,850: a rise is waited for; Lasalgaon as picked.
    (["1", "1", "2500"], alert(), en("alert.saved.above", crop="Onion", place="Lasalgaon", amount="Rs 2,500",
                                     date="13 October")),
    # Below it: a fall; "Rs 1,500" as typed with its rupee sign.
    (["1", "1", "Rs 1,500"], alert(direction="below", amount=1500),
     en("alert.saved.below", crop="Onion", place="Lasalgaon", amount="Rs 1,500", date="13 October")),
    # The nearest three mandis, from the farmer's own district.
    (["1", "2", "2000"], alert(mandi_id=None, district_id=11, amount=2000),
     en("alert.saved.above", crop="Onion", place="Nearest 3 mandis", amount="Rs 2,000", date="13 October")),
])
def test_an_alert_is_set_from_the_price_screen(inputs, effect, shown):
    session, screen, effects = ussd(Farm(), *PRICES, *inputs)
    assert session.screen == "alert_saved" and effects == [effect]
    assert shown in screen and "1 My price alerts" in screen


def test_the_price_is_asked_with_todays_price_beside_it_and_a_bad_one_asked_again():
    session, screen, _ = ussd(Farm(), *PRICES, "1", "1")
    assert session.screen == "alert_amount"
    assert en("alert.amount.prompt", crop="Onion", place="Lasalgaon", now="Lasalgaon, today: Rs 1,850") in screen
    for typo in ("two thousand", "25.5", "2500 kg"):  # ("0" is Back, as on every screen)
        session, screen, effects = ussd(Farm(), *PRICES, "1", "1", typo)
        assert session.screen == "alert_amount" and effects == [] and en("error.alert.amount") in screen


def test_with_no_price_in_reach_the_mandi_offered_is_the_one_that_has_a_price():
    farm = Farm(prices={"onion": [FAR]})
    session, screen, _ = ussd(farm, *PRICES, "1")
    assert "1 Indore" in screen and "2 Nearest 3 mandis" in screen
    _, _, effects = ussd(farm, *PRICES, "1", "1", "2000")
    assert effects == [alert(mandi_id=INDORE.key, direction="below", amount=2000)]  # Indore is at 2,250


def test_a_crop_with_no_price_anywhere_waits_for_a_rise():
    session, screen, effects = ussd(Farm(prices={}), *PRICES, "1", "1", "3000")
    assert effects == [alert(mandi_id=None, district_id=11, amount=3000)]


def test_a_sixth_alert_is_refused_before_the_price_is_asked():
    farm = Farm(alerts=[ONION_AT_LASALGAON] * MAX_ALERTS)
    session, screen, effects = ussd(farm, *PRICES, "1", "1")
    assert session.screen == "alerts_full" and effects == []
    assert en("alerts.full", count=MAX_ALERTS) in screen


def test_my_alerts_lists_them_and_one_is_cancelled_after_yes():
    farm = Farm(alerts=[ONION_AT_LASALGAON, ONION_NEAR_HOME])
    session, screen, _ = ussd(farm, *PRICES, "2")
    assert "1 Onion above Rs 2,500, Lasalgaon" in screen and "2 Onion below Rs 1,500, Nearest 3 mandis" in screen
    session, screen, effects = ussd(farm, *PRICES, "2", "2")
    assert session.screen == "alert_cancel" and "Onion below Rs 1,500, Nearest 3 mandis" in screen
    assert effects == []
    _, _, effects = ussd(farm, *PRICES, "2", "2", "2")  # no
    assert effects == []
    session, screen, effects = ussd(farm, *PRICES, "2", "2", "1")  # yes
    assert session.screen == "alert_cancelled" and effects == [CancelPriceAlerts(7, (502,))]


def test_no_alerts_says_how_to_set_one():
    session, screen, _ = ussd(Farm(), *PRICES, "2")
    assert session.screen == "alerts" and en("alerts.none") in screen


def test_a_call_hears_the_prices_without_the_alert_choices():
    """On a call a spoken price is too easily misheard: alerts are set by USSD or SMS."""
    from dialogs.voice import VoiceLayout
    session, screen, _ = ussd(Farm(layout=VoiceLayout()), *PRICES, channel="voice")
    assert session.screen == "prices" and "price alert" not in screen


# SMS: the NLU's reading is given (tests/nlu/test_alert_words.py reads the words)

def text(message: str, alert_words: AlertWords, crop=None, location=None, intent="price_alert", keyword=True,
         farmer=FARMER, farm: Farm | None = None):
    parse = Parse(message, intent, 1.0 if keyword else 0.3, {"crop": crop, "location": location, "language": None},
                  "en", keyword, alert=alert_words)
    farm = farm or Farm(farmer=farmer)
    _, reply, effects = sms.reply(Message(PHONE, message, parse), farmer, Chat(), farm)
    return reply, effects


def words(amount=None, direction=None, place="", keyword=True, **rest):
    return AlertWords(keyword=keyword, amount=amount, direction=direction, place=place, **rest)


def test_alert_kanda_2000_watches_the_three_mandis_nearest_home():
    reply, effects = text("ALERT kanda 2000", words(2000), crop="onion")
    assert effects == [alert(mandi_id=None, district_id=11, amount=2000, channel="sms")]
    assert reply == en("sms.alert.saved.above", crop="Onion", place="Nearest 3 mandis", amount="Rs 2,000",
                       date="13 October", now="Lasalgaon, 15 July: Rs 1,850")


def test_onion_2000_lasalgaon_without_the_keyword_is_an_alert_at_that_mandi():
    reply, effects = text("onion 2000 lasalgaon", words(1600, place="lasalgaon", keyword=False), crop="onion",
                          intent="market_price", keyword=False)
    assert effects == [alert(amount=1600, direction="below", channel="sms")]
    assert reply.startswith("Price alert set: we will SMS you when Onion (Lasalgaon) falls below Rs 1,600")


def test_a_said_direction_wins_and_one_already_past_waits_for_the_next_crossing():
    _, effects = text("ALERT onion 1800 above lasalgaon", words(1800, "above", "lasalgaon"), crop="onion")
    assert effects == [alert(amount=1800, channel="sms", armed=False)]  # Lasalgaon is at 1,850 already


def test_a_district_named_watches_its_three_nearest_mandis():
    reply, effects = text("ALERT onion 2000 purnia", words(2000, place="purnia"), crop="onion", location="Purnia")
    assert effects == [alert(mandi_id=None, district_id=PURNIA.key, amount=2000, channel="sms")]
    assert "Onion (Purnia)" in reply


def test_an_unknown_place_is_said_back_with_the_keyword_and_read_as_a_question_without():
    reply, effects = text("ALERT onion 2000 xyzpur", words(2000, place="xyzpur"), crop="onion")
    assert effects == [] and reply == en("sms.alert.place_unknown", place="xyzpur")
    reply, effects = text("onion 2000 xyzpur", words(2000, place="xyzpur", keyword=False), crop="onion",
                          intent="market_price", keyword=False)
    assert effects == [] and reply == en("sms.not_understood")  # the model was not sure either


@pytest.mark.parametrize("message, alert_words, crop", [
    ("ALERT onion", words(), "onion"), ("ALERT 2000", words(2000), None),
])
def test_without_a_crop_and_a_price_the_reply_says_how(message, alert_words, crop):
    reply, effects = text(message, alert_words, crop=crop)
    assert effects == [] and reply == en("sms.alert.how")


def test_alerts_lists_them_numbered_and_cancel_takes_their_numbers():
    farm = Farm(alerts=[ONION_AT_LASALGAON, ONION_NEAR_HOME])
    reply, _ = text("ALERTS", words(listing=True), farm=farm)
    assert reply == en("sms.alert.list", alerts="1) Onion above Rs 2,500, Lasalgaon; "
                                                "2) Onion below Rs 1,500, Nearest 3 mandis")
    reply, effects = text("ALERT CANCEL 2", words(cancel=(2,)), farm=farm)
    assert effects == [CancelPriceAlerts(7, (502,))]
    assert reply == en("sms.alert.cancelled", alerts="Onion below Rs 1,500, Nearest 3 mandis")
    reply, effects = text("ALERT CANCEL ALL", words(cancel="all"), farm=farm)
    assert effects == [CancelPriceAlerts(7, (501, 502))] and reply == en("sms.alert.cancelled_all")
    reply, effects = text("ALERT CANCEL 3", words(cancel=(3,)), farm=farm)
    assert effects == [] and reply == en("sms.alert.no_such", number=3)


def test_with_no_alerts_listing_or_cancelling_says_how_to_set_one():
    for message, alert_words in (("ALERTS", words(listing=True)), ("ALERT CANCEL 1", words(cancel=(1,)))):
        reply, effects = text(message, alert_words)
        assert effects == [] and reply == en("sms.alert.none")


def test_a_sixth_alert_by_sms_is_refused():
    farm = Farm(alerts=[ONION_AT_LASALGAON] * MAX_ALERTS)
    reply, effects = text("ALERT onion 3000", words(3000), crop="onion", farm=farm)
    assert effects == [] and reply == en("sms.alert.full", count=MAX_ALERTS)


def test_a_stranger_is_asked_to_register_and_a_stopped_farmer_gets_nothing():
    reply, effects = text("ALERT onion 3000", words(3000), crop="onion", farmer=None)
    assert effects == [] and reply == en("sms.reg.needed")
    reply, effects = text("ALERT onion 3000", words(3000), crop="onion",
                          farmer=replace(FARMER, sms_opted_out=True))
    assert effects == [] and reply is None


@pytest.mark.parametrize("locale, message, expected", [
    ("hi", "ALERT प्याज 2500", "भाव अलर्ट लग गया: प्याज (पास की 3 मंडियाँ) का भाव ₹2,500 प्रति क्विंटल से ऊपर"),
    ("mr", "ALERT कांदा 2500", "भाव अलर्ट लावला: कांदा (जवळचे 3 बाजार) भाव क्विंटलला ₹2,500 च्या वर"),
    ("hi", "ALERT pyaz 2500", "Bhav alert lag gaya: Pyaz (Paas ki 3 mandiyan) ka bhav Rs 2,500 prati quintal"),
])
def test_the_reply_is_in_the_farmers_language_and_script_and_fits_three_sms(locale, message, expected):
    from dialogs.encoding import measure
    farmer = replace(FARMER, locale=locale)
    reply, _ = text(message, words(2500), crop="onion", farmer=farmer)
    assert reply.startswith(expected), reply
    assert measure(reply).segments <= 3 and "ALERTS" in reply  # said whole, with how to see or cancel


def test_the_nearest_three_already_past_waits_like_the_check_would():
    """The nearest mandi is at 1,900 (so 2,000 is a rise) but the second is at 2,100: the check would fire at once
    on the highest of the three, so the alert starts disarmed."""
    second = replace(FRESH, mandi=INDORE, modal_price=2100, distance_km=90.0)
    farm = Farm(prices={"onion": [replace(FRESH, modal_price=1900), second]})
    _, effects = text("ALERT onion 2000", words(2000), crop="onion", farm=farm)
    assert effects == [alert(mandi_id=None, district_id=11, amount=2000, channel="sms", armed=False)]
    _, _, effects = ussd(farm, *PRICES, "1", "3", "2000")  # USSD: the third choice is the nearest three
    assert effects == [alert(mandi_id=None, district_id=11, amount=2000, armed=False)]


def test_a_price_ten_times_off_is_asked_again_per_quintal():
    reply, effects = text("ALERT onion 150 lasalgaon", words(150, place="lasalgaon"), crop="onion")
    assert effects == [] and reply == en("sms.alert.per_quintal", crop="Onion", price="Rs 1,850", amount="Rs 150")
    session, screen, effects = ussd(Farm(), *PRICES, "1", "1", "25000")
    assert session.screen == "alert_amount" and effects == [] and en("error.alert.amount") in screen


def test_without_the_keyword_only_a_place_of_that_very_name_makes_an_alert():
    class Fuzzy(Farm):
        def find_mandis(self, text):  # as the real matcher, by sound: "lasal" is Lasalgaon too
            return [LASALGAON] if "lasal" in text.lower() else []
    farm = Fuzzy()
    reply, effects = text("onion 2000 lasal", words(2000, place="lasal", keyword=False), crop="onion",
                          intent="market_price", keyword=False, farm=farm)
    assert effects == [] and reply == en("sms.not_understood")
    _, effects = text("ALERT onion 2000 lasal", words(2000, place="lasal"), crop="onion", farm=farm)
    assert [e.mandi_id for e in effects] == [LASALGAON.key]


def test_with_five_alerts_the_same_one_again_renews_it():
    farm = Farm(alerts=[ONION_AT_LASALGAON] + [replace(ONION_NEAR_HOME, id=600 + n) for n in range(MAX_ALERTS - 1)])
    _, effects = text("ALERT onion 2500 lasalgaon", words(2500, place="lasalgaon"), crop="onion", farm=farm)
    assert effects == [alert(channel="sms")]
