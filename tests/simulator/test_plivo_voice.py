"""The voice simulator on Plivo: whole calls through the real app as Plivo carries them (numbers without the plus,
every request signed with X-Plivo-Signature-V3 over the URL Plivo calls, GetInput heard by key and by voice,
recordings, silence moving on to the next element, the hangup URL closing the call log with duration and cost),
and `kheti simulate voice --provider plivo`. Its reading of Plivo XML is in test_plivo_xml.py."""
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from plivo.utils.signature_v3 import validate_v3_signature
from sqlalchemy import select

from cli import main
from dialogs.texts import N_, texts
from farmdb.models import ExpertRequest, OutboundMessage
from service.tasks import CALL_BACK, Tasks
from simulator.voice import PLIVO, NotHeard, VoicePhone
from tests.simulator.calls import (
    CALLER, MISSED_CALL_LINE, PLIVO_AUTH, PLIVO_ID, PUBLIC, call_log, key_for, posts, said,
)

CALLER_DIGITS = CALLER.lstrip("+")


def fields(line) -> dict[str, str]:
    """The form a post line shows (values may hold spaces: each field starts at a known name)."""
    names = ("CallUUID", "From", "To", "CallStatus", "Direction", "Event", "InputType", "Digits", "Speech",
             "SpeechConfidenceScore", "RecordUrl", "RecordingID", "RecordingDuration", "RecordingDurationMs",
             "Duration", "BillDuration", "BillRate", "TotalCost", "HangupCauseName", "HangupSource")
    form, name = {}, None
    for word in line.detail.split(" "):
        head, eq, rest = word.partition("=")
        if eq and head in names:
            name = head
            form[name] = rest
        else:
            form[name] += " " + word
    return form


def test_a_plivo_call_in_hindi_by_keypad_and_by_voice_then_silence_and_goodbye(phone, register_farmer, db):
    farmer_id = register_farmer(phone=CALLER, locale="hi")
    t = texts("hi", latin=False)
    caller = phone(PLIVO)

    heard = caller.dial()
    assert {line.detail for line in heard if line.kind == "say"} == {"hi-IN, Polly.Aditi"}
    assert said(heard)[0] == t(N_("voice.welcome"))
    assert t(N_("voice.or_say")) in said(heard)
    assert caller.waiting.keys and caller.waiting.speech == "hi-IN" and caller.waiting.num_digits == 1
    assert caller.waiting.timeout == 6 and caller.waiting.verb.get("numDigits") == "1"
    first = posts(heard)[0]
    assert first.text == f"{PUBLIC}/plivo/voice"
    assert fields(first) == {"CallUUID": caller.call_id, "From": CALLER_DIGITS, "To": "918047177300",
                             "CallStatus": "in-progress", "Direction": "inbound", "Event": "StartApp"}
    log = call_log(db, "plivo", caller.call_id)
    assert (log.kind, log.direction, log.phone, log.line, log.farmer_id, log.last_screen) == \
        ("hotline", "inbound", CALLER, "+918047177300", farmer_id, "main")

    heard = caller.press("2")  # mandi prices
    assert posts(heard)[0].text == f"{PUBLIC}/plivo/voice?turn=input"
    assert posts(heard)[0].detail.endswith("InputType=dtmf Digits=2") and "Event" not in posts(heard)[0].detail
    heard = caller.press(key_for(heard, "प्याज", t))  # onion
    assert "प्याज" in said(heard)[0] and any("लासलगांव" in line for line in said(heard))
    assert call_log(db, "plivo", caller.call_id).last_screen == "prices"

    heard = caller.press("*")  # the main menu, where a wish can be said
    assert t(N_("voice.or_say")) in said(heard)
    heard = caller.answer("say: gehun ka bhav")
    assert posts(heard)[0].detail.endswith("InputType=speech Speech=gehun ka bhav SpeechConfidenceScore=0.9")
    assert "गेहूं" in said(heard)[0]  # straight to wheat prices
    assert call_log(db, "plivo", caller.call_id).last_screen == "prices"

    heard = caller.answer("")  # silence: Plivo moves on to the next element, the Redirect
    assert posts(heard)[0].text == f"{PUBLIC}/plivo/voice?turn=silence"
    assert "Digits" not in posts(heard)[0].detail and "Speech" not in posts(heard)[0].detail
    assert said(heard)[0] == t(N_("voice.no_input")) and "गेहूं" in said(heard)[1]
    assert not caller.ended

    heard = caller.silence()  # silent again: goodbye
    assert said(heard) == [t(N_("voice.no_input")), t(N_("voice.goodbye"))]
    assert caller.ended and heard[-1].kind == "end"
    hangup = fields(posts(heard)[-1])
    assert posts(heard)[-1].text == f"{PUBLIC}/plivo/voice/status"
    assert (hangup["CallStatus"], hangup["Duration"], hangup["HangupSource"], hangup["HangupCauseName"]) == \
        ("completed", str(caller.seconds), "Answer XML", "Normal Hangup")
    log = call_log(db, "plivo", caller.call_id)
    assert log.status == "completed" and log.duration_s == caller.seconds > 0 and log.ended_at is not None
    assert (log.cost, log.cost_currency) == (Decimal(hangup["TotalCost"]), "USD")
    with pytest.raises(RuntimeError, match="ended"):
        caller.press("1")


def test_a_question_recorded_over_plivo_is_kept_on_the_ticket(phone, register_farmer, db):
    register_farmer(phone=CALLER, locale="en")
    t = texts("en", latin=False)
    caller = phone(PLIVO)
    caller.dial()
    heard = caller.press("4")  # pest or disease
    heard = caller.press(key_for(heard, "Onion", t))
    heard = caller.press("9")  # more symptoms
    caller.press(key_for(heard, t(N_("voice.pest.symptom.other")), t))
    waiting = caller.waiting
    assert waiting.recording and waiting.finish_on_key == "#" and waiting.max_length == 60
    with pytest.raises(NotHeard):
        caller.press("1")
    heard = caller.record(20)
    form = fields(posts(heard)[0])
    assert posts(heard)[0].text == f"{PUBLIC}/plivo/voice?turn=record"
    assert (form["RecordingDuration"], form["RecordingDurationMs"]) == ("20", "20000")
    assert form["RecordUrl"] == \
        f"https://media.plivo.com/v1/Account/{PLIVO_ID}/Recording/{form['RecordingID']}.mp3"
    assert caller.ended  # the ticket is read out and the gateway hangs up
    db.rollback()
    request = db.scalar(select(ExpertRequest))
    assert request.kind == "pest_report" and request.channel == "voice" and request.crop.code == "onion"
    assert request.recording_url == form["RecordUrl"]
    assert request.ticket in db.scalar(select(OutboundMessage.body).where(OutboundMessage.purpose == "ticket"))


def test_every_plivo_request_is_signed_over_the_url_plivo_calls(phone, transport, voice_app, register_farmer):
    register_farmer(phone=CALLER, locale="hi")
    seen = []

    def recorded(url, form, headers):
        seen.append((url, form, headers))
        return transport(url, form, headers)

    caller = phone(PLIVO, post=recorded)
    caller.dial()
    caller.press("2")
    caller.say("गेहूं")  # Devanagari speech is signed as the SDK checks it (its UTF-8, not read as Latin-1)
    caller.hang_up()
    assert [url for url, _, _ in seen] == [f"{PUBLIC}/plivo/voice", f"{PUBLIC}/plivo/voice?turn=input",
                                           f"{PUBLIC}/plivo/voice?turn=input", f"{PUBLIC}/plivo/voice/status"]
    for url, form, headers in seen:
        assert validate_v3_signature("POST", url, headers["X-Plivo-Signature-V3-Nonce"], PLIVO_AUTH,
                                     headers["X-Plivo-Signature-V3"], dict(form))
    assert len({headers["X-Plivo-Signature-V3-Nonce"] for _, _, headers in seen}) == len(seen)  # fresh each time

    with pytest.raises(RuntimeError, match="HTTP 403.*PLIVO_AUTH_TOKEN"):
        phone(PLIVO, auth_token="not-the-token").dial()
    with pytest.raises(RuntimeError, match="HTTP 403"):
        phone(PLIVO, auth_token=None).dial()  # unsigned

    client = voice_app.test_client()

    def behind_another_url(url, form, headers):  # signed over the URL the gateway sees, not the one Plivo calls
        parts = urlsplit(url)
        return client.post(parts.path, data=form, headers=headers).status_code, ""
    with pytest.raises(RuntimeError, match="HTTP 403"):
        VoicePhone(post=behind_another_url, provider=PLIVO, phone=CALLER, base_url="http://10.0.0.7:5000",
                   auth_token=PLIVO_AUTH).dial()


def test_a_plivo_call_to_the_missed_call_line_is_rejected_unanswered(phone, db, voice_app):
    queued = []
    voice_app.extensions["kheti"].tasks = Tasks(lambda name, args: queued.append((name, args)))  # recorded, not run
    caller = phone(PLIVO, to=MISSED_CALL_LINE)
    heard = caller.dial()
    assert said(heard) == [] and caller.ended
    assert "rejected unanswered" in heard[-1].text
    hangup = fields(posts(heard)[-1])
    assert (hangup["CallStatus"], hangup["Duration"], hangup["BillDuration"], hangup["TotalCost"]) == \
        ("busy", "0", "0", "0.00000")
    log = call_log(db, "plivo", caller.call_id)
    assert (log.kind, log.phone, log.line) == ("missed_call", CALLER, MISSED_CALL_LINE)
    assert queued == [(CALL_BACK, (log.id,))]


def test_a_plivo_caller_who_hangs_up_closes_the_call_log_with_duration_and_cost(phone, register_farmer, db):
    register_farmer(phone=CALLER, locale="en")
    caller = phone(PLIVO)
    caller.dial()
    caller.press("1")  # weather
    heard = caller.answer("hangup")
    assert caller.ended and heard[-1].text.startswith("you hung up")
    hangup = fields(posts(heard)[-1])
    assert (hangup["HangupSource"], hangup["CallStatus"], hangup["Duration"]) == \
        ("Caller", "completed", str(caller.seconds))
    billed = -(-caller.seconds // 60) * 60
    assert hangup["BillDuration"] == str(billed) and Decimal(hangup["TotalCost"]) == Decimal("0.006") * billed / 60
    log = call_log(db, "plivo", caller.call_id)
    assert (log.status, log.duration_s, log.cost, log.cost_currency) == \
        ("completed", caller.seconds, Decimal(hangup["TotalCost"]), "USD")
    assert log.ended_at is not None and log.cost > 0


# kheti simulate voice --provider plivo

def test_the_simulate_voice_command_runs_a_scripted_plivo_call(transport, register_farmer, monkeypatch):
    register_farmer(phone=CALLER, locale="en")
    monkeypatch.setattr("cli.simulate.voice_post", lambda url, public_url=None: transport)
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.setenv("PLIVO_AUTH_TOKEN", PLIVO_AUTH)
    result = CliRunner().invoke(main, ["simulate", "voice", "--provider", "plivo", "--phone", CALLER,
                                       "--public-url", PUBLIC, "--inputs", "2,2,*,say:wheat price,hello,,", "-v"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "-- calling +918047177300 from +919812345678 over Plivo" in out
    assert "(speaking, en-IN, Polly.Aditi) Namaste! Welcome to Kheti Sahayak." in out
    assert "(waiting for a key or speech in en-IN" in out
    assert "> say:wheat price" in out and "Wheat prices for one quintal" in out
    assert "InputType=speech Speech=wheat price" in out and "Event=StartApp" in out
    assert "(not sent: type keys" in out
    assert "(call ended: the gateway hung up;" in out and "USD 0.0" in out


def test_simulating_plivo_needs_its_auth_token(monkeypatch):
    monkeypatch.delenv("PLIVO_AUTH_TOKEN", raising=False)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "a-twilio-token")  # not Plivo's
    result = CliRunner().invoke(main, ["simulate", "voice", "--provider", "plivo", "--inputs", "1"])
    assert result.exit_code == 2 and "PLIVO_AUTH_TOKEN" in result.output
