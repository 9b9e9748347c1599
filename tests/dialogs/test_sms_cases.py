"""The SMS conversation as a table: the message (already read: its intent and what it names), who sent it, where
the conversation stood, and the reply, effects and next step that must come of it. Pure: the farm is in memory,
nothing is stored, and the NLU's reading is given, so each row tests the conversation alone."""
from dataclasses import dataclass, field, replace

import pytest

from dialogs import sms
from dialogs.effects import CreateExpertRequest, EraseFarmer, RegisterFarmer, StartPayment, UpdateFarmer
from dialogs.sms import Chat, Message
from dialogs.texts import texts
from nlu.parser import Parse
from tests.dialogs.farm import FAR, FARMER, FRESH, OLD, Farm

PHONE = "+919812345678"
en, hinglish = texts("en", latin=True), texts("hi", latin=True)
STOPPED = replace(FARMER, sms_opted_out=True)


@dataclass
class Case:
    name: str
    text: str
    intent: str = "help"
    entities: dict = field(default_factory=dict)
    confidence: float = 0.9
    keyword: bool = False
    farmer: object = "the farmer"  # FARMER, STOPPED, or None for a stranger
    chat: Chat = field(default_factory=Chat)
    reply: str | None = ""  # the whole reply; None: nothing is sent
    starts: str = ""  # or how it starts
    effects: list = field(default_factory=list)
    step: str | None = None  # where the conversation stands afterwards


CASES = [
    # Keywords
    Case("STOP stops every SMS", "STOP", "opt_out", keyword=True, reply=en("sms.stopped"),
         effects=[UpdateFarmer(farmer_id=7, sms_opted_out=True)]),
    Case("START brings them back", "START", "register", keyword=True, farmer=STOPPED, reply=en("sms.restarted"),
         effects=[UpdateFarmer(farmer_id=7, sms_opted_out=False)]),
    Case("a stopped farmer's question gets nothing", "kal barish", "weather", farmer=STOPPED, reply=None),
    Case("only the keyword opts out", "mandi band hai kya", "opt_out", reply=en("sms.optout_hint")),
    Case("DELETE asks to confirm", "delete", reply=en("sms.delete.confirm"), step="confirm_delete"),
    Case("yes erases, with the notice agreed to", "yes", chat=Chat(step="confirm_delete"), reply=en("sms.deleted"),
         effects=[EraseFarmer(farmer_id=7, channel="sms", notice="sms.delete.confirm")]),
    Case("anything else at the confirmation is a new question", "weather", "weather",
         chat=Chat(step="confirm_delete"), starts="Weather Nashik: today 0mm 22-31C"),
    Case("a stopped farmer may still withdraw consent", "yes", farmer=STOPPED, chat=Chat(step="confirm_delete"),
         reply=en("sms.deleted"), effects=[EraseFarmer(farmer_id=7, channel="sms", notice="sms.delete.confirm")]),
    # Registration by SMS, step by step
    Case("a stranger's START begins a registration", "START", "register", keyword=True, farmer=None,
         reply=en("sms.reg.name"), step="reg_name"),
    Case("the name", "Ravi Kumar", farmer=None, chat=Chat(step="reg_name", locale="en"),
         reply=en("sms.reg.district", name="Ravi"), step="reg_district"),
    Case("a name that is not one is asked again", "1234", farmer=None, chat=Chat(step="reg_name", locale="en"),
         reply=en("sms.reg.name"), step="reg_name"),
    Case("a district written out", "purnia", farmer=None,
         chat=Chat(step="reg_district", data={"name": "Ravi"}, locale="en"), reply=en("sms.reg.crops"),
         step="reg_crops"),
    Case("a district nobody knows", "atlantis", farmer=None,
         chat=Chat(step="reg_district", data={"name": "Ravi"}, locale="en"), reply=en("sms.reg.district_again"),
         step="reg_district"),
    Case("the crops", "wheat and onion", farmer=None,
         chat=Chat(step="reg_crops", data={"name": "Ravi", "state_id": 2, "district_id": 21}, locale="en"),
         reply=en("sms.reg.consent", grievance=Farm.grievance_contact), step="reg_consent"),
    Case("yes to the notice registers, as on every channel", "yes", farmer=None,
         chat=Chat(step="reg_consent", data={"name": "Ravi Kumar", "state_id": 2, "district_id": 21,
                                             "crops": ["wheat"]}, locale="en"),
         reply=en("sms.reg.done", name="Ravi"),
         effects=[RegisterFarmer(phone=PHONE, name="Ravi Kumar", locale="en", state_id=2, district_id=21,
                                 crops=("wheat",), channel="sms", consent_notice="sms.reg.consent")]),
    Case("no to the notice stores nothing", "nahi", farmer=None,
         chat=Chat(step="reg_consent", data={"name": "Ravi", "state_id": 2, "district_id": 21, "crops": ["wheat"]},
                   locale="en"), reply=en("sms.reg.declined")),
    # Questions in one reply
    Case("weather where the farmer is", "kal barish hogi", "weather",
         starts="Weather Nashik: today 0mm 22-31C, tomorrow 12mm"),
    Case("weather where the message says", "weather purnia", "weather", {"location": "Purnia"},
         starts="Weather Purnia:"),
    Case("a stranger's weather needs a place", "weather", "weather", farmer=None, reply=en("sms.weather.which")),
    Case("prices of the crop named", "kanda bhav", "market_price", {"crop": "onion"},
         reply=en("sms.price", crop="Onion", lines=en("sms.price.line", mandi="Lasalgaon", date="15 July",
                                                      modal="Rs 1,850", low="1,600", high="2,000"))),
    Case("advice at the stage the sowing date gives", "onion advice", "crop_advisory", {"crop": "onion"},
         starts="Onion, "),
    Case("advice asks the stage it cannot tell", "wheat advice", "crop_advisory", {"crop": "wheat"},
         step="advice_stage", starts=en("sms.advice.stage", crop="Wheat", choices="")[:20]),
    Case("the stage by its number", "1", chat=Chat(step="advice_stage", data={"crop": "wheat"}),
         reply=en("sms.advice.none", crop="Wheat")),
    Case("not a stage number: a new question", "onion price", "market_price", {"crop": "onion"},
         chat=Chat(step="advice_stage", data={"crop": "wheat"}), starts="Onion per quintal"),
    Case("a language change, answered in the script it was asked in", "hindi mein", "change_language",
         {"language": "hi"}, reply=hinglish("sms.language"),
         effects=[UpdateFarmer(farmer_id=7, locale="hi")]),
    Case("a payment's status", "payment hua kya", "payment_status",
         reply=en("sms.payment.status", amount="Rs 99", plan="Season plan", status=en("sms.payment.pending"))),
    Case("what the reader is unsure of", "asdf qwer", "weather", confidence=0.2, reply=en("sms.not_understood")),
    # What files something: the flows' own effects
    Case("a pest report, as on every channel", "onion me keede", "pest_disease", {"crop": "onion"},
         reply=en("sms.pest", ticket="4200001", crop="Onion"),
         effects=[CreateExpertRequest(ticket="4200001", farmer_id=7, kind="pest_report", channel="sms",
                                      crop="onion", description="onion me keede")]),
    Case("a stranger's pest report needs a registration", "keede", "pest_disease", farmer=None,
         reply=en("sms.reg.needed")),
    Case("an expert's call-back", "expert se baat", "expert_callback", reply=en("sms.callback", ticket="4200001"),
         effects=[CreateExpertRequest(ticket="4200001", farmer_id=7, kind="callback", channel="sms",
                                      description="expert se baat")]),
    Case("subscribing offers the plans", "plan lena hai", "subscribe", step="plan_choice",
         reply=en("sms.subscribe.choose", choices="1 Season plan Rs 99")),
    Case("a plan by its number", "1", chat=Chat(step="plan_choice"),
         reply=en("sms.subscribe.done", plan="Season plan", price="Rs 99"),
         effects=[StartPayment(farmer_id=7, plan_code="season_basic", channel="sms",
                               idempotency_key="subscribe:7:season_basic:2026-07-15")]),
    Case("HELP leaves a step", "HELP", "help", keyword=True, chat=Chat(step="plan_choice"), reply=en("sms.help")),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_sms_conversation(case):
    farmer = FARMER if case.farmer == "the farmer" else case.farmer
    parse = Parse(case.text, case.intent, case.confidence, {"crop": None, "location": None, "language": None,
                                                            **case.entities}, "en", case.keyword)
    chat, reply, effects = sms.reply(Message(PHONE, case.text, parse), farmer, case.chat, Farm(farmer=farmer))
    if case.starts:
        assert reply and reply.startswith(case.starts), reply
    else:
        assert reply == case.reply
    assert effects == case.effects
    assert chat.step == case.step


# Each price with its date (an SMS is read later: never "today"); past PRICE_STALE_DAYS said to be old; no mandi in
# reach with a price: the nearest that has one. (language, message, the onion prices nearest first, the reply)
PRICE_REPLIES = [
    ("en", "onion price", [FRESH], "Onion per quintal: Lasalgaon, 15 July: Rs 1,850 (1,600-2,000)"),
    ("en", "onion price", [OLD], "Onion per quintal: Lasalgaon (old price, 10 July): Rs 1,700 (1,500-1,900)"),
    ("en", "onion price", [FAR],
     "Onion: no recent price near you. Nearest mandi with one, per quintal: Indore, 14 July: Rs 2,250 (2,100-2,300)"),
    ("hi", "प्याज का भाव", [FRESH], "प्याज भाव प्रति क्विंटल: लासलगांव, 15 जुलाई: ₹1,850 (1,600-2,000)"),
    ("hi", "प्याज का भाव", [OLD], "प्याज भाव प्रति क्विंटल: लासलगांव (पुराना भाव, 10 जुलाई): ₹1,700 (1,500-1,900)"),
    ("hi", "प्याज का भाव", [FAR], "आसपास प्याज का ताज़ा भाव नहीं है। सबसे नज़दीकी मंडी का भाव, प्रति क्विंटल: "
                                  "इंदौर, 14 जुलाई: ₹2,250 (2,100-2,300)"),
    ("mr", "कांदा भाव", [FRESH], "कांदा भाव प्रति क्विंटल: लासलगाव, 15 जुलै: ₹1,850 (1,600-2,000)"),
    ("mr", "कांदा भाव", [OLD], "कांदा भाव प्रति क्विंटल: लासलगाव (जुना भाव, 10 जुलै): ₹1,700 (1,500-1,900)"),
    ("mr", "कांदा भाव", [FAR], "कांदा: जवळ अलीकडचा भाव नाही. सर्वात जवळच्या बाजाराचा भाव, प्रति क्विंटल: "
                              "इंदूर, 14 जुलै: ₹2,250 (2,100-2,300)"),
    ("hi", "pyaz ka bhav", [OLD, FAR],  # a mandi out of reach is left out where one in reach has a price
     "Pyaz bhav prati quintal: Lasalgaon (purana bhav, 10 July): Rs 1,700 (1,500-1,900)"),
]


@pytest.mark.parametrize("locale, text, prices, expected", PRICE_REPLIES)
def test_each_price_says_its_date_and_whether_it_is_old(locale, text, prices, expected):
    farmer = replace(FARMER, locale=locale)
    parse = Parse(text, "market_price", 0.9, {"crop": "onion", "location": None, "language": None}, locale, False)
    _, reply, _ = sms.reply(Message(PHONE, text, parse), farmer, Chat(), Farm(farmer=farmer, prices={"onion": prices}))
    assert reply == expected


def test_a_second_mandi_is_left_out_rather_than_cut():
    many = [replace(OLD, mandi=replace(OLD.mandi, names={**OLD.mandi.names, "hi": "लासलगांव उप मंडी " * 2}))] * 2
    farmer = replace(FARMER, locale="hi")
    parse = Parse("प्याज का भाव", "market_price", 0.9, {"crop": "onion", "location": None, "language": None}, "hi",
                  False)
    _, reply, _ = sms.reply(Message(PHONE, "प्याज का भाव", parse), farmer, Chat(), Farm(farmer=farmer,
                                                                                      prices={"onion": many}))
    assert reply.count("पुराना भाव") == 1 and reply.endswith("(1,500-1,900)")


def test_every_reply_fits_two_sms():
    long = "Ravi " * 200
    assert sms.fit(long) != long and sms.fit(long).endswith("...")
    assert len(sms.fit(long)) <= 2 * 153


@pytest.mark.parametrize("locale, text", [("hi", "wheat गेहूं"), ("mr", "wheat गहू"), ("hi", "wheat gehun"),
                                          ("mr", "wheat gahu"), ("en", "wheat")])
def test_the_consent_notice_is_sent_whole_with_where_to_complain(locale, text):
    """What is kept, who sees it, how to withdraw and where to complain: never cut to two SMS (four in Devanagari)."""
    parse = Parse(text, "help", 0.9, {"crop": None, "location": None, "language": None}, locale, False)
    chat = Chat(step="reg_crops", data={"name": "Ravi", "state_id": 2, "district_id": 21}, locale=locale)
    _, reply, _ = sms.reply(Message(PHONE, text, parse), None, chat, Farm(farmer=None))
    whole = texts(locale, latin=text.isascii())("sms.reg.consent", grievance=Farm.grievance_contact)
    assert reply == whole and Farm.grievance_contact in reply and "DELETE" in reply
