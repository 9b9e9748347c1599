"""Calls over Plivo through the real app: recorded answer, GetInput, Record and hangup payloads in, signed as Plivo
signs them; Plivo XML out, parsed and checked: elements and attributes, the caller's language and voice (Marathi
played from pre-built audio), action URLs absolute under PUBLIC_BASE_URL, and the rows each call leaves. The calls
we place are in test_placed_calls.py."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from dialogs.texts import texts
from farmdb.db import make_engine, make_sessionmaker
from farmdb.models import ExpertRequest, Farmer, OutboundMessage
from gateway import create_app
from gateway.voice_prompts import in_english
from service.connections import Backends
from tests.conftest import SEED_DAY
from tests.gateway.plivo.caller import STATUS, VOICE, Call, Clips, logs
from tests.gateway.plivo.payloads import (
    AUTH_ID, CALL_UUID, FARMER, HOTLINE, MISSED_LINE, PUBLIC, RECORDING, answered, hung_up, no_input, post,
)

SPEAK = {"en": ("en-IN", "Polly.Aditi"), "hi": ("hi-IN", "Polly.Aditi")}
TWO = {"en": "two", "hi": "do", "mr": "don"}  # "2" said, as the recogniser writes it


@pytest.fixture
def call(plivo_app):
    clips = plivo_app.extensions["kheti_voice_audio"] = Clips()
    return lambda **kw: Call(plivo_app.test_client(), clips, **kw)


@pytest.mark.parametrize("locale, recogniser", [("en", "en-IN"), ("hi", "hi-IN"), ("mr", "mr-IN")])
def test_a_known_farmer_hears_the_main_menu_in_their_language(call, register_farmer, sessions, locale, recogniser):
    register_farmer(locale=locale)
    t = texts(locale, latin=False)
    c = call().start()
    assert [e.tag for e in c.xml] == ["GetInput", "Redirect"]
    get = c.xml.find("GetInput")
    assert get.attrib == {
        "action": f"{VOICE}?turn=input", "method": "POST", "inputType": "dtmf speech", "executionTimeout": "6",
        "numDigits": "1", "language": recogniser, "hints": get.get("hints"),
        "redirect": "true"}
    assert t("main.weather") in get.get("hints").split(", ")
    assert (c.redirect, c.xml.find("Redirect").get("method")) == (f"{VOICE}?turn=silence", "POST")
    assert c.said[:3] == [t("voice.welcome"), t("main.title", name="Asha"), t("voice.press", label=t("main.weather"),
                                                                            number=1)]
    assert c.said[-1] == t("voice.or_say")  # "gehun ka bhav" goes straight there
    if locale == "mr":  # no Plivo voice: the whole turn is one clip
        assert [e.tag for e in get] == ["Play"] and get.find("Play").text.startswith(f"{PUBLIC}/voice/audio/mr/")
    else:
        assert {(s.get("language"), s.get("voice")) for s in get.iter("Speak")} == {SPEAK[locale]}
    [log] = logs(sessions)
    assert (log.provider, log.call_id, log.kind, log.direction, log.phone, log.line, log.status, log.last_screen) == \
        ("plivo", CALL_UUID, "hotline", "inbound", FARMER, f"+{HOTLINE}", "in-progress", "main")


def test_marathi_without_its_audio_is_said_in_english_and_logged(plivo_app, register_farmer, caplog):
    register_farmer(locale="mr", crops=("onion",))
    c = Call(plivo_app.test_client()).start()  # the app's own audio library: nothing built in tests
    assert c.xml.find(".//Play") is None
    assert {(s.get("language"), s.get("voice")) for s in c.xml.iter("Speak")} == {SPEAK["en"]}
    assert texts("en", latin=False)("main.title", name="Asha") in c.said
    assert not any("\u0900" <= ch <= "\u097f" for ch in c.spoken)
    assert any("no recorded prompt" in r.getMessage() for r in caplog.records)
    assert c.xml.find("GetInput").get("language") == "mr-IN"  # what the farmer says is still heard in Marathi


def test_keys_speech_and_silence(call, register_farmer):
    register_farmer(locale="hi", crops=("onion", "wheat"))
    t = texts("hi", latin=False)
    c = call().start()
    c.press("9")
    assert c.said[1] == t("voice.press", label=t("main.account"), number=1)  # the second group, numbered from 1
    c.press("*")
    c.say("गेहूं का भाव")  # at the main menu, said: straight to wheat prices
    assert c.said[0].endswith(t("voice.prices.title", crop="गेहूं"))
    c.press("0")
    assert c.said[0] == t("prices.crop.title")
    c.say("pyaz")  # an option named aloud
    assert "प्याज" in c.said[0]
    c.press("7")  # not offered here
    assert c.said[0] == t("error.invalid_option")
    c.say("kuchh bhi", confidence="0.2")  # heard, but not trusted
    assert c.said[0] == t("voice.not_understood")
    c.post(c.action, no_input())  # a GetInput action with neither digits nor speech: silence
    assert c.said[0] == t("voice.no_input") and c.xml.find("GetInput") is not None  # one re-prompt
    c.silence()
    assert c.said == [t("voice.no_input"), t("voice.goodbye")]
    assert [e.tag for e in c.xml] == ["Speak", "Speak", "Hangup"]


@pytest.mark.parametrize("locale", ["en", "hi", "mr"])
def test_a_whole_call_in_each_language(call, register_farmer, sessions, locale):
    """Weather, prices chosen by voice, advice sent by SMS, a subscription: in the caller's language and words."""
    from datetime import timedelta

    from farmdb.models import Payment
    register_farmer(locale=locale, crops=("onion", "soybean"), sown={"soybean": SEED_DAY - timedelta(days=40)})
    t = texts(locale, latin=False)
    c = call().start()
    c.press("1")
    assert c.said[0] == t("weather.title", district={"en": "Nashik", "hi": "नाशिक", "mr": "नाशिक"}[locale])
    c.press("*").say(TWO[locale]).press("1")  # back, "two" said: prices; soybean (the farmer's own crops first)
    soybean = {"en": "Soybean", "hi": "सोयाबीन", "mr": "सोयाबीन"}[locale]
    assert c.said[0] == t("voice.prices.title", crop=soybean)
    assert "(" not in c.spoken  # prices are said in words, not as the screen's "(3,490-4,510)"
    c.press("*").press("3").press("1")  # advice -> soybean: its stage is known from the sowing date
    assert t("advice.send_sms") in c.spoken
    c.press("1")
    assert c.said[0] == t("advice.sms_sent") and c.xml[-1].tag == "Hangup"
    c.hang_up()
    c2 = call(uuid="8d6e4b77-9e3b-11ef-9d2e-6b1a2c3d4e5f").start().press("9").press("2")  # subscribe: second group
    c2.press("1").press("1")  # the first plan, confirm
    assert c2.said[0] == t("subscribe.done")
    with sessions() as db:
        assert db.scalar(select(Payment)).status == "pending"
        sms = db.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()
    assert [m.purpose for m in sms] == ["advisory", "payment_link"] and all(m.locale == locale for m in sms)


def test_registration_by_voice_takes_the_name_as_speech(call, sessions):
    c = call(phone="+919812300077").start()
    t = texts("mr", latin=False)
    c.press("3")  # Marathi
    get = c.xml.find("GetInput")
    assert c.said[0] == t("voice.reg.name.prompt")
    assert (get.get("inputType"), get.get("numDigits"), get.get("digitEndTimeout"), get.get("language")) == \
        ("speech", None, None, "mr-IN")
    c.say("Sunita Shinde", confidence="0.61")  # a name: the words are the answer
    assert c.said[0] == t("voice.reg.state.title")
    c.say("महाराष्ट्र")  # a state said by name: the menu's own search finds it
    assert c.said[0] == t("voice.reg.district.title")
    c.say("nashik")
    c.press("1").press("8")  # tick the first crop, done
    assert t("reg.consent.notice")[:20] in c.spoken
    c.press("1")
    assert t("main.title", name="Sunita") in c.said
    with sessions() as db:
        farmer = db.scalar(select(Farmer).where(Farmer.phone == "+919812300077"))
        assert (farmer.name, farmer.locale, farmer.district.name, farmer.consent_channel) == \
            ("Sunita Shinde", "mr", "Nashik", "voice")


def test_a_pest_report_is_recorded_for_the_expert_and_the_ticket_sent_by_sms(call, register_farmer, sessions):
    register_farmer(locale="en", crops=("onion",))
    c = call().start().press("4").press("1")  # pest -> onion
    c.press("9").press("2")  # the second group of symptoms: "something else" is the seventh
    assert [e.tag for e in c.xml] == ["Speak", "Record", "Redirect"]
    assert c.xml.find("Record").attrib == {
        "action": f"{VOICE}?turn=record", "method": "POST", "maxLength": "60", "finishOnKey": "#",
        "playBeep": "true", "timeout": "5", "fileFormat": "mp3", "redirect": "true"}
    assert c.said == [texts("en", latin=False)("voice.pest.describe.prompt")]
    c.record()
    assert c.xml[-1].tag == "Hangup"
    ticket = c.said[0].split("Ticket ")[1].split(".")[0]
    with sessions() as db:
        request = db.scalar(select(ExpertRequest))
        sms = db.scalar(select(OutboundMessage).where(OutboundMessage.purpose == "ticket"))
        assert (request.kind, request.channel, request.crop.code) == ("pest_report", "voice", "onion")
    assert request.recording_url == RECORDING
    assert request.ticket == ticket.replace(" ", "") and request.ticket in sms.body and sms.status == "sent"


@pytest.mark.parametrize("url, kept", [
    (RECORDING, True),
    (f"https://media.plivo.com.attacker.example/v1/Account/{AUTH_ID}/Recording/r.mp3", False),  # a look-alike
    (f"https://evilmedia.plivo.com/v1/Account/{AUTH_ID}/Recording/r.mp3", False),
    (f"https://s3.amazonaws.com/recordings.plivo.com/{AUTH_ID}/r.mp3", False),
    (f"http://media.plivo.com/v1/Account/{AUTH_ID}/Recording/r.mp3", False),  # not https
    ("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE42", False),  # another provider's host
    ("https://169.254.169.254/latest/meta-data/", False),
    (f"https://media.plivo.com/v1/Account/{AUTH_ID}/Recording/" + "r" * 500, False),  # longer than its column
])
def test_only_a_recording_on_plivos_host_is_kept(call, register_farmer, sessions, caplog, url, kept):
    register_farmer(locale="en")
    c = call().start().press("5").press("1")  # expert -> yes -> record the question
    c.record(url)
    with sessions() as db:
        request = db.scalar(select(ExpertRequest))
    if kept:
        assert request.recording_url == url and c.xml[-1].tag == "Hangup"
        return
    assert request is None  # the call goes on: asked once more, as after silence
    assert c.said[0] == texts("en", latin=False)("voice.no_input") and c.xml.find("Record") is not None
    [line] = [r.getMessage() for r in caplog.records if "recording not kept" in r.getMessage()]
    assert "+91******5678" in line and FARMER not in line


@pytest.mark.parametrize("seconds", ["-1", "0", ""])
def test_nothing_recorded_is_silence(call, register_farmer, seconds):
    register_farmer(locale="en")
    c = call().start().press("5").press("1")
    c.record(seconds=seconds)
    assert c.said[0] == texts("en", latin=False)("voice.no_input") and c.xml.find("Record") is not None
    c.silence()  # and Plivo following the Redirect after the Record
    assert c.said == [texts("en", latin=False)("voice.no_input"), texts("en", latin=False)("voice.goodbye")]


def test_the_hangup_closes_the_call_log_with_duration_and_cost(call, register_farmer, sessions):
    register_farmer(locale="en")
    c = call().start().press("1")
    c.hang_up(duration="95", cost="0.01020")
    c.hang_up(status="failed", duration="3", cost="0.00000")  # a late or repeated report changes nothing
    [log] = logs(sessions)
    assert (log.status, log.duration_s, log.cost, log.cost_currency, log.last_screen) == \
        ("completed", 95, Decimal("0.0102"), "USD", "weather")
    assert log.ended_at is not None


def test_a_hangup_for_a_call_we_never_saw_is_answered(plivo_app):
    response = post(plivo_app.test_client(), STATUS, hung_up("no-answer", duration="0", cost="", uuid="x-1"))
    assert response.status_code == 204


# --- refusals and outages --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("form, problem", [
    ({k: v for k, v in answered().items() if k != "CallUUID"}, "missing form field: CallUUID"),
    ({k: v for k, v in answered().items() if k != "From"}, "missing form field: From"),
    (answered(phone="anonymous"), "invalid sender number in 'From'"),
])
def test_a_malformed_call_is_a_400_naming_the_field(plivo_app, sessions, form, problem):
    response = post(plivo_app.test_client(), VOICE, form)
    assert response.status_code == 400 and response.json["message"] == problem
    assert logs(sessions) == []


def test_a_reference_no_call_of_ours_could_carry_is_a_400(plivo_app):
    response = post(plivo_app.test_client(), f"{VOICE}?call={'x' * 65}", answered(direction="outbound"))
    assert response.status_code == 400 and "'call'" in response.json["message"]


def test_when_the_database_is_down_the_caller_hears_busy_and_a_ring_is_still_rejected(plivo_settings, redis_client):
    down = make_engine("postgresql://postgres@127.0.0.1:1/nowhere")  # nothing listens there: refused at once
    app = create_app(plivo_settings, backends=Backends(engine=down, sessions=make_sessionmaker(down),
                                                       redis=redis_client))
    c = Call(app.test_client()).start()
    assert c.said == [texts("hi", latin=False)("voice.busy")]  # DEFAULT_LOCALE: the caller cannot be looked up
    assert [e.tag for e in c.xml] == ["Speak", "Hangup"] and c.xml[0].get("language") == "hi-IN"
    ring = post(app.test_client(), VOICE, answered(uuid="ring-when-down", line=MISSED_LINE))
    assert ring.get_data(as_text=True) == '<Response><Hangup reason="rejected"/></Response>'


def test_the_english_fallback_reads_names_in_latin_letters():
    from nlu.transliterate import to_latin
    marathi = texts("mr", latin=False)("main.title", name="सुनीता")
    assert in_english(marathi) == texts("en", latin=False)("main.title", name=to_latin("सुनीता"))
