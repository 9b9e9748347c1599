"""Calls over Twilio: recorded webhook payloads in, TwiML out, parsed and checked: verbs, attributes, the caller's
language and voice, action URLs absolute under PUBLIC_BASE_URL (so that Twilio signs what we verify)."""
from dataclasses import replace
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from dialogs.texts import texts
from farmdb.models import CallLog, ExpertRequest, OutboundMessage
from gateway import create_app
from tests.conftest import SEED_DAY

TOKEN = "twilio-voice-token"
PUBLIC = "https://voice.example.org"
FARMER = "+919812345678"


@pytest.fixture
def voice_app(settings, backends):
    app = create_app(replace(settings, twilio_auth_token=TOKEN, public_base_url=PUBLIC), backends=backends,
                     today=lambda: SEED_DAY)
    app.config.update(TESTING=True)
    return app


class Call:
    """One Twilio call through the real app: posts what Twilio posts, signed, and follows the TwiML's actions."""

    def __init__(self, client, phone=FARMER, sid="CA0123456789abcdef0123456789abcdef", to="+15005550006"):
        self.client, self.phone, self.sid, self.to = client, phone, sid, to
        self.action, self.twiml = None, None

    def form(self, **extra):
        return {"CallSid": self.sid, "AccountSid": "AC" + "1" * 32, "From": self.phone, "To": self.to,
                "CallStatus": "in-progress", "Direction": "inbound", "ApiVersion": "2010-04-01", **extra}

    def post(self, url, form):
        signature = RequestValidator(TOKEN).compute_signature(url, form)
        parts = urlsplit(url)
        response = self.client.post(parts.path + (f"?{parts.query}" if parts.query else ""), data=form,
                                    headers={"X-Twilio-Signature": signature})
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "application/xml"
        self.twiml = ElementTree.fromstring(response.get_data())
        assert self.twiml.tag == "Response"
        gather, record = self.twiml.find("Gather"), self.twiml.find("Record")
        self.action = (gather if gather is not None else record).get("action") if \
            (gather is not None or record is not None) else None
        return self

    def start(self):
        return self.post(f"{PUBLIC}/twilio/voice", self.form(CallStatus="ringing"))

    def press(self, digits):
        return self.post(self.action, self.form(Digits=digits))

    def say(self, speech, confidence="0.92"):
        return self.post(self.action, self.form(SpeechResult=speech, Confidence=confidence))

    def silence(self):
        return self.post(self.action, self.form())

    def record(self, url="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE42", seconds="17"):
        return self.post(self.action, self.form(RecordingUrl=url, RecordingDuration=seconds))

    @property
    def said(self) -> list[str]:
        return [say.text for say in self.twiml.iter("Say")]

    @property
    def spoken(self) -> str:
        return " ".join(self.said)


@pytest.fixture
def call(voice_app):
    return lambda **kw: Call(voice_app.test_client(), **kw)


@pytest.mark.parametrize("locale, language, voice", [("en", "en-IN", "Polly.Aditi"), ("hi", "hi-IN", "Polly.Aditi"),
                                                     ("mr", "mr-IN", "Google.mr-IN-Standard-A")])
def test_a_known_farmer_hears_the_main_menu_in_their_language(call, register_farmer, locale, language, voice):
    register_farmer(locale=locale)
    t = texts(locale, latin=False)
    c = call().start()
    gather = c.twiml.find("Gather")
    assert gather.attrib == {
        "action": f"{PUBLIC}/twilio/voice?turn=gather", "method": "POST", "timeout": "6",
        "actionOnEmptyResult": "true", "language": language, "speechTimeout": "auto", "input": "dtmf speech",
        "numDigits": "1", "finishOnKey": "", "hints": gather.get("hints")}
    assert t("main.weather") in gather.get("hints") and t("voice.or_say") in c.said
    assert c.said[:3] == [t("voice.welcome"), t("main.title", name="Asha"), t("voice.press", label=t("main.weather"),
                                                                            number=1)]
    assert {(s.get("language"), s.get("voice")) for s in c.twiml.iter("Say")} == {(language, voice)}
    assert c.said[-2] == t("voice.more")  # seven choices: five read, "9 for more"
    log = c.client.application.extensions["kheti"].backends.sessions().scalar(select(CallLog))
    assert (log.provider, log.kind, log.direction, log.phone, log.status, log.last_screen) == \
        ("twilio", "hotline", "inbound", FARMER, "in-progress", "main")  # answered, though Twilio said ringing


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
    c.silence()
    assert c.said[0] == t("voice.no_input") and c.twiml.find("Gather") is not None  # one re-prompt
    c.silence()
    assert c.said == [t("voice.no_input"), t("voice.goodbye")] and c.twiml.find("Hangup") is not None


def test_registration_by_voice_takes_the_name_as_speech(call, sessions):
    from farmdb.models import Farmer
    c = call(phone="+919812300077").start()
    t = texts("mr", latin=False)
    c.press("3")  # Marathi
    assert c.said[0] == t("voice.reg.name.prompt") and c.twiml.find("Gather").get("input") == "speech"
    c.say("Sunita Shinde")
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
    record = c.twiml.find("Record")
    assert record.attrib == {"action": f"{PUBLIC}/twilio/voice?turn=record", "method": "POST", "maxLength": "60",
                             "finishOnKey": "#", "playBeep": "true", "timeout": "5", "trim": "trim-silence"}
    assert c.said == [texts("en", latin=False)("voice.pest.describe.prompt")]
    c.record()
    assert c.twiml.find("Hangup") is not None
    ticket = c.said[0].split("Ticket ")[1].split(".")[0]
    assert len(ticket.split(" ")) >= 5 and all(d.isdigit() for d in ticket.split(" "))  # read digit by digit
    with sessions() as db:
        request = db.scalar(select(ExpertRequest))
        sms = db.scalar(select(OutboundMessage).where(OutboundMessage.purpose == "ticket"))
        assert (request.kind, request.channel, request.crop.code) == ("pest_report", "voice", "onion")
    assert request.recording_url == "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE42"
    assert request.ticket == ticket.replace(" ", "") and request.ticket in sms.body and sms.status == "sent"


@pytest.mark.parametrize("url, kept", [
    ("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE42", True),
    ("https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE42", True),  # a regional edge
    ("https://attacker.example/2010-04-01/Accounts/AC1/Recordings/RE42", False),
    ("https://api.twilio.com.attacker.example/2010-04-01/Recordings/RE42", False),
    ("https://voice.africastalking.com/recordings/RE42.mp3", False),  # another provider's host
    ("https://169.254.169.254/latest/meta-data/", False),
    ("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/" + "R" * 500, False),  # longer than its column
])
def test_only_a_recording_on_twilios_hosts_is_kept(call, register_farmer, sessions, caplog, url, kept):
    register_farmer(locale="en")
    c = call().start().press("5").press("1")  # expert -> yes -> record the question
    c.record(url)
    with sessions() as db:
        request = db.scalar(select(ExpertRequest))
    if kept:
        assert request.recording_url == url and c.twiml.find("Hangup") is not None
        return
    assert request is None  # the call goes on: asked once more, as after silence
    assert c.said[0] == texts("en", latin=False)("voice.no_input") and c.twiml.find("Record") is not None
    [line] = [r.getMessage() for r in caplog.records if "recording not kept" in r.getMessage()]
    assert "+91******5678" in line and FARMER not in line


def test_an_empty_recording_is_silence(call, register_farmer):
    register_farmer(locale="en")
    c = call().start().press("5").press("1")  # expert -> yes -> record the question
    assert c.twiml.find("Record") is not None
    c.record(seconds="0")
    assert c.said[0] == texts("en", latin=False)("voice.no_input") and c.twiml.find("Record") is not None


@pytest.mark.parametrize("form, problem", [
    ({"From": FARMER, "To": "+15005550006"}, "CallSid"),
    ({"CallSid": "CA1", "To": "+15005550006"}, "From"),
    ({"CallSid": "CA1", "From": "not a number", "To": "+15005550006"}, "From"),
])
def test_a_malformed_webhook_is_a_400_with_its_reason(voice_app, form, problem):
    url = f"{PUBLIC}/twilio/voice"
    response = voice_app.test_client().post("/twilio/voice", data=form, headers={
        "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(url, form)})
    assert response.status_code == 400 and problem in response.get_json()["message"]


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl"])
def test_an_unsigned_or_forged_call_is_refused(voice_app, signature):
    response = voice_app.test_client().post("/twilio/voice", data={"CallSid": "CA1", "From": FARMER, "To": "+1"},
                                            headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


@pytest.mark.parametrize("statuses, final, ended", [
    (["ringing", "in-progress"], "in-progress", False),
    (["in-progress", "completed"], "completed", True),
    (["ringing", "no-answer"], "no-answer", True),
    (["in-progress", "completed", "in-progress"], "completed", True),  # a late report changes nothing
])
def test_status_callbacks_keep_the_call_log(call, voice_app, register_farmer, sessions, statuses, final, ended):
    register_farmer(locale="en")
    c = call().start()
    for status in statuses:
        form = {"CallSid": c.sid, "AccountSid": "AC" + "1" * 32, "CallStatus": status, "From": FARMER,
                "To": c.to, "Direction": "inbound", "CallDuration": "42" if status == "completed" else ""}
        url = f"{PUBLIC}/twilio/voice/status"
        response = voice_app.test_client().post("/twilio/voice/status", data=form, headers={
            "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(url, form)})
        assert response.status_code == 204
    with sessions() as db:
        log = db.scalar(select(CallLog))
    assert (log.status, log.ended_at is not None) == (final, ended)
    if final == "completed":
        assert log.duration_s == 42


@pytest.mark.parametrize("locale", ["en", "hi", "mr"])
def test_a_whole_call_in_each_language(call, register_farmer, sessions, locale):
    """Weather, prices, advice sent by SMS, a subscription: every answer in the caller's language and words."""
    from datetime import timedelta

    from farmdb.models import Payment
    register_farmer(locale=locale, crops=("onion", "soybean"), sown={"soybean": SEED_DAY - timedelta(days=40)})
    t = texts(locale, latin=False)
    c = call().start()
    c.press("1")
    assert c.said[0] == t("weather.title", district={"en": "Nashik", "hi": "नाशिक", "mr": "नाशिक"}[locale])
    today = t("voice.weather.line", day=t("weather.day0"), rain="R", tmin="L", tmax="H")
    assert c.said[1].startswith(today.split("R")[0])  # "Today: 80 millimetres of rain, 30 to 40 degrees."
    c.press("*").press("2").press("1")  # prices -> soybean (the farmer's own crops first)
    soybean = {"en": "Soybean", "hi": "सोयाबीन", "mr": "सोयाबीन"}[locale]
    assert c.said[0] == t("voice.prices.title", crop=soybean)
    assert "(" not in c.spoken  # prices are said in words, not as the screen's "(3,490-4,510)"
    c.press("*").press("3").press("1")  # advice -> soybean: its stage is known from the sowing date
    assert t("advice.send_sms") in c.spoken
    c.press("1")
    assert c.said[0] == t("advice.sms_sent") and c.twiml.find("Hangup") is not None
    c2 = call(sid="CA" + "2" * 32).start().press("9").press("2")  # subscribe is in the second group
    c2.press("1").press("1")  # the first plan, confirm
    assert c2.said[0] == t("subscribe.done")
    with sessions() as db:
        assert db.scalar(select(Payment)).status == "pending"
        sms = db.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()
    assert [m.purpose for m in sms] == ["advisory", "payment_link"] and all(m.locale == locale for m in sms)


def test_silence_at_a_recording_prompt_is_heard_as_silence(call, register_farmer):
    """Twilio does not call the Record action when nothing was recorded: it follows the Redirect after it."""
    register_farmer(locale="en")
    c = call().start().press("5").press("1")  # expert -> yes -> record the question
    redirect = c.twiml.find("Redirect")
    assert [e.tag for e in c.twiml] == ["Say", "Record", "Redirect"]
    assert (redirect.text, redirect.get("method")) == (f"{PUBLIC}/twilio/voice?turn=silence", "POST")
    c.post(redirect.text, c.form())
    assert c.said[0] == texts("en", latin=False)("voice.no_input") and c.twiml.find("Record") is not None


def test_when_the_database_is_down_the_caller_hears_busy(settings, redis_client):
    from farmdb.db import make_engine, make_sessionmaker
    from service.connections import Backends
    down = make_engine("postgresql://postgres@127.0.0.1:1/nowhere")  # nothing listens there: refused at once
    app = create_app(replace(settings, twilio_auth_token=TOKEN, public_base_url=PUBLIC),
                     backends=Backends(engine=down, sessions=make_sessionmaker(down), redis=redis_client))
    c = Call(app.test_client()).start()
    assert c.said == [texts("hi", latin=False)("voice.busy")] and c.twiml.find("Hangup") is not None


def test_a_question_for_the_expert_is_recorded_with_the_call_back_request(call, register_farmer, sessions):
    register_farmer(locale="hi")
    t = texts("hi", latin=False)
    c = call().start().press("5").press("1")  # expert -> yes
    assert c.said == [t("voice.expert.question")] and c.twiml.find("Record") is not None
    c.record(url="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE77")
    with sessions() as db:
        request = db.scalar(select(ExpertRequest))
        assert (request.kind, request.channel, request.description) == ("question", "voice",
                                                                         t("voice.recorded_question"))
        assert request.recording_url == "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE77"
    assert c.said[0].startswith(t("expert.done", ticket="")[:10])
