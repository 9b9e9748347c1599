"""Calls over Africa's Talking: recorded callbacks in, AT voice XML out, parsed and checked. English is said; Hindi
and Marathi are played from pre-built audio, or said in English (with a warning) when the audio is missing; the
final isActive=0 notification closes the call log with duration and cost."""
import logging
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from dialogs.texts import texts
from farmdb.models import CallLog, ExpertRequest
from gateway import create_app
from tests.conftest import SEED_DAY

FARMER = "+919812345678"
HOTLINE = "+254711082000"


class AtCall:
    def __init__(self, client, phone=FARMER, session_id="ATVId_7f3a9c2e1b"):
        self.client, self.phone, self.session_id = client, phone, session_id
        self.xml = None

    def form(self, **extra):
        return {"isActive": "1", "sessionId": self.session_id, "direction": "Inbound", "callerNumber": self.phone,
                "destinationNumber": HOTLINE, "callerProviderName": "Airtel", "callerCountryCode": "91", **extra}

    def post(self, url, form, status=200):
        parts = urlsplit(url)
        response = self.client.post(parts.path + (f"?{parts.query}" if parts.query else ""), data=form)
        assert response.status_code == status, response.get_data(as_text=True)
        if status == 200 and response.data:
            body = response.get_data(as_text=True)
            assert body.startswith('<?xml version="1.0" encoding="UTF-8"?><Response>')
            self.xml = ElementTree.fromstring(response.get_data())
        return self

    def start(self):
        return self.post("http://localhost/africastalking/voice", self.form())

    def press(self, digit):
        return self.post(self.xml.find("GetDigits").get("callbackUrl"), self.form(dtmfDigits=digit))

    def silence(self):
        return self.post(self.xml.find("Redirect").text, self.form())

    def record(self, url="https://voice.africastalking.com/recordings/ATVId_7f3a9c2e1b.mp3"):
        return self.post(self.xml.find("Record").get("callbackUrl"), self.form(recordingUrl=url))

    def hang_up(self, seconds="95", amount="1.5000", currency="KES"):
        return self.post("http://localhost/africastalking/voice", self.form(
            isActive="0", durationInSeconds=seconds, amount=amount, currencyCode=currency,
            callSessionState="Completed", hangupCause="NORMAL_CLEARING"))

    @property
    def said(self) -> str:
        return " ".join(s.text for s in self.xml.iter("Say"))


@pytest.fixture
def at_call(client):
    return lambda **kw: AtCall(client, **kw)


def test_an_english_call_is_said_with_one_key_per_turn(at_call, register_farmer, sessions):
    register_farmer(locale="en")
    t = texts("en", latin=False)
    c = at_call().start()
    assert [e.tag for e in c.xml] == ["GetDigits", "Redirect"]
    get = c.xml.find("GetDigits")
    assert {k: get.get(k) for k in ("numDigits", "timeout", "finishOnKey")} == {"numDigits": "1", "timeout": "6",
                                                                              "finishOnKey": "#"}
    callback = urlsplit(get.get("callbackUrl"))
    assert (callback.scheme, callback.netloc, callback.path, parse_qs(callback.query)) == \
        ("http", "localhost", "/africastalking/voice", {"turn": ["keys"]})
    [say] = list(get)
    assert say.tag == "Say" and say.get("voice") == "woman"
    assert say.text.startswith(f"{t('voice.welcome')} {t('main.title', name='Asha')} For Weather, press 1.")
    c.press("1")
    assert c.said.startswith(t("weather.title", district="Nashik"))
    c.silence()
    assert c.said.startswith(t("voice.no_input"))
    c.silence()
    assert [e.tag for e in c.xml] == ["Say"] and c.said.endswith(t("voice.goodbye"))  # the call ends here
    c.hang_up()
    with sessions() as db:
        log = db.scalar(select(CallLog))
    assert (log.provider, log.kind, log.status, log.duration_s, log.cost, log.cost_currency) == \
        ("africastalking", "hotline", "completed", 95, Decimal("1.5000"), "KES")
    assert log.ended_at is not None and log.last_screen == "weather"


def test_hindi_without_recorded_audio_is_said_in_english_and_logged(at_call, register_farmer, caplog):
    register_farmer(locale="hi")
    caplog.set_level(logging.WARNING, logger="gateway.africastalking.voice")
    c = at_call().start()
    assert c.xml.find(".//Play") is None
    assert texts("en", latin=False)("main.title", name="Asha") in c.said  # the English wording, not Devanagari
    assert any("no recorded prompt" in r.getMessage() for r in caplog.records)


def test_hindi_with_recorded_audio_is_played(at_call, register_farmer, app):
    register_farmer(locale="hi")

    class Library:
        def prompt_url(self, phrases, locale, request_root=""):
            assert locale == "hi" and phrases[0] == texts("hi", latin=False)("voice.welcome")
            return "https://voice.example.org/voice/audio/hi/play/3f2a9c.wav"
    app.extensions["kheti_voice_audio"] = Library()
    c = at_call().start()
    [play] = c.xml.find("GetDigits")
    assert play.tag == "Play" and play.get("url") == "https://voice.example.org/voice/audio/hi/play/3f2a9c.wav"


def test_a_pest_report_is_recorded(at_call, register_farmer, sessions):
    register_farmer(locale="en", crops=("onion",))
    c = at_call().start().press("4").press("1").press("9").press("2")
    record = c.xml.find("Record")
    assert {k: record.get(k) for k in ("finishOnKey", "maxLength", "trimSilence", "playBeep")} == \
        {"finishOnKey": "#", "maxLength": "60", "trimSilence": "true", "playBeep": "true"}
    assert parse_qs(urlsplit(record.get("callbackUrl")).query) == {"turn": ["record"]}
    c.record()
    with sessions() as db:
        request = db.scalar(select(ExpertRequest))
    assert request.recording_url == "https://voice.africastalking.com/recordings/ATVId_7f3a9c2e1b.mp3"


def test_the_token_travels_in_every_url_we_give_at(make_service, register_farmer):
    service, _ = make_service(at_webhook_token="s3cret")
    client = create_app(service=service, today=lambda: SEED_DAY).test_client()
    register_farmer(locale="en")
    c = AtCall(client)
    c.post("http://localhost/africastalking/voice", c.form(), status=403)  # no token: refused
    c.post("http://localhost/africastalking/voice?token=s3cret", c.form())
    assert parse_qs(urlsplit(c.xml.find("GetDigits").get("callbackUrl")).query)["token"] == ["s3cret"]
    assert parse_qs(urlsplit(c.xml.find("Redirect").text).query)["token"] == ["s3cret"]
    c.press("1")  # following AT's URL, token and all


@pytest.mark.parametrize("form, status", [
    ({"sessionId": "ATVId_1"}, 400),  # isActive missing
    ({"isActive": "1", "sessionId": "ATVId_1"}, 400),  # callerNumber missing
    ({"isActive": "1", "sessionId": "ATVId_1", "callerNumber": "not a phone"}, 400),
    ({"isActive": "0", "sessionId": "ATVId_unknown", "durationInSeconds": "3"}, 200),  # the end of a call we never saw
    ({"isActive": "0", "sessionId": "ATVId_unknown", "amount": "lots"}, 200),  # a bad amount is ignored, not a 500
])
def test_malformed_or_stray_callbacks(client, form, status):
    assert client.post("/africastalking/voice", data=form).status_code == status


def test_the_final_notification_is_idempotent(at_call, register_farmer, sessions):
    register_farmer(locale="en")
    c = at_call().start()
    c.hang_up(seconds="12").hang_up(seconds="12")  # AT repeats it until it gets a 200
    with sessions() as db:
        assert [(log.duration_s, log.status) for log in db.scalars(select(CallLog))] == [(12, "completed")]


def test_the_english_fallback_reads_names_in_latin_letters(at_call, register_farmer):
    register_farmer(locale="mr", crops=("onion",))
    c = at_call().start().press("2")  # prices: the crop names are Marathi words
    assert not any("\u0900" <= ch <= "\u097f" for ch in c.said)
    assert "kaandaa" in c.said.lower()


@pytest.mark.parametrize("url, why", [
    ("https://attacker.example/ATVId_7f3a9c2e1b.mp3", "not on africastalking's hosts"),
    ("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE42", "not on africastalking's hosts"),  # not AT's
    ("https://169.254.169.254/latest/meta-data/", "not on africastalking's hosts"),
    ("http://voice.africastalking.com/recordings/x.mp3", "not on africastalking's hosts"),  # not https
    ("https://voice.africastalking.com/recordings/" + "x" * 500, "longer than 500 characters"),
])
def test_a_recording_off_ats_hosts_is_not_kept_and_the_call_goes_on(at_call, register_farmer, sessions, caplog,
                                                                   url, why):
    register_farmer(locale="en")
    c = at_call().start().press("5").press("1")  # expert -> yes -> record the question
    c.record(url)
    assert c.said.startswith(texts("en", latin=False)("voice.no_input")) and c.xml.find("Record") is not None
    with sessions() as db:
        assert db.scalar(select(ExpertRequest)) is None
    [line] = [r.getMessage() for r in caplog.records if "recording not kept" in r.getMessage()]
    assert why in line and "+91******5678" in line and FARMER not in line


def test_silence_at_a_recording_prompt_re_prompts(at_call, register_farmer):
    register_farmer(locale="en")
    c = at_call().start().press("5").press("1")
    assert [e.tag for e in c.xml] == ["Say", "Record", "Redirect"]
    c.silence()
    assert c.said.startswith(texts("en", latin=False)("voice.no_input")) and c.xml.find("Record") is not None


def test_when_the_database_is_down_the_caller_hears_busy_and_a_missed_call_is_still_rejected(settings, redis_client):
    from dataclasses import replace

    from farmdb.db import make_engine, make_sessionmaker
    from gateway import create_app
    from service.connections import Backends
    down = make_engine("postgresql://postgres@127.0.0.1:1/nowhere")  # nothing listens there: refused at once
    app = create_app(replace(settings, missed_call_numbers=frozenset({"+254711082999"})),
                     backends=Backends(engine=down, sessions=make_sessionmaker(down), redis=redis_client))
    c = AtCall(app.test_client()).start()
    assert c.said == texts("en", latin=False)("voice.busy")  # Hindi, said in English: no audio built here
    assert c.xml.find("GetDigits") is None  # nothing more to wait for: the call ends
    ring = c.form(destinationNumber="+254711082999", sessionId="ATVId_ring_down")
    c.post("http://localhost/africastalking/voice", ring)
    assert [e.tag for e in c.xml] == ["Reject"]  # unanswered: the farmer pays nothing, even now
