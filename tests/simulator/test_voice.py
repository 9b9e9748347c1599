"""The voice simulator: whole calls through the real app, as Twilio and Africa's Talking would carry them (signed
requests to the URLs the XML names, AT's token, silence, speech, recordings, the provider's last word closing the
call log), its reading of provider XML it has to follow, and `kheti simulate voice`. Plivo's calls are in
test_plivo_voice.py and test_plivo_xml.py; the app, the transport and the phones in conftest.py."""
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli import main
from dialogs.texts import N_, texts
from farmdb.models import ExpertRequest, OutboundMessage
from service.tasks import CALL_BACK, Tasks
from simulator.voice import AFRICASTALKING, NotHeard, VoicePhone
from tests.simulator.calls import (
    AT_TOKEN, AUTH, CALLER, MISSED_CALL_LINE, PUBLIC, call_log, canned, key_for, posts, said,
)


# Twilio

def test_a_twilio_call_in_hindi_by_keypad_and_by_voice_then_silence_and_goodbye(phone, register_farmer, db):
    farmer_id = register_farmer(phone=CALLER, locale="hi")
    t = texts("hi", latin=False)
    caller = phone()

    heard = caller.dial()
    assert {line.detail for line in heard if line.kind == "say"} == {"hi-IN, Polly.Aditi"}
    assert said(heard)[0] == t(N_("voice.welcome"))
    assert t(N_("voice.or_say")) in said(heard)
    assert caller.waiting.keys and caller.waiting.speech == "hi-IN" and caller.waiting.num_digits == 1
    first = posts(heard)[0]
    assert first.text == f"{PUBLIC}/twilio/voice"
    assert "CallStatus=ringing" in first.detail and "Direction=inbound" in first.detail
    log = call_log(db, "twilio", caller.call_id)
    assert (log.kind, log.direction, log.phone, log.farmer_id, log.last_screen) == \
        ("hotline", "inbound", CALLER, farmer_id, "main")

    heard = caller.press("2")  # mandi prices
    assert posts(heard)[0].text == f"{PUBLIC}/twilio/voice?turn=gather"
    assert posts(heard)[0].detail.endswith("Digits=2")
    heard = caller.press(key_for(heard, "प्याज", t))  # onion
    assert "प्याज" in said(heard)[0] and any("लासलगांव" in line for line in said(heard))
    assert call_log(db, "twilio", caller.call_id).last_screen == "prices"

    heard = caller.press("*")  # the main menu, where a wish can be said
    assert t(N_("voice.or_say")) in said(heard)
    heard = caller.answer("say: gehun ka bhav")
    assert posts(heard)[0].detail.endswith("SpeechResult=gehun ka bhav Confidence=0.9")
    assert "गेहूं" in said(heard)[0]  # straight to wheat prices
    assert call_log(db, "twilio", caller.call_id).last_screen == "prices"

    heard = caller.answer("")  # silence: the Gather's action with neither Digits nor SpeechResult
    assert posts(heard)[0].text.endswith("?turn=gather")
    assert "Digits" not in posts(heard)[0].detail and "SpeechResult" not in posts(heard)[0].detail
    assert said(heard)[0] == t(N_("voice.no_input")) and "गेहूं" in said(heard)[1]
    assert not caller.ended

    heard = caller.silence()  # silent again: goodbye
    assert said(heard) == [t(N_("voice.no_input")), t(N_("voice.goodbye"))]
    assert caller.ended and heard[-1].kind == "end"
    status = posts(heard)[-1]
    assert status.text == f"{PUBLIC}/twilio/voice/status"
    assert "CallStatus=completed" in status.detail and f"CallDuration={caller.seconds}" in status.detail
    log = call_log(db, "twilio", caller.call_id)
    assert log.status == "completed" and log.duration_s == caller.seconds > 0 and log.ended_at is not None
    with pytest.raises(RuntimeError, match="ended"):
        caller.press("1")


def test_speech_heard_with_low_confidence_is_not_trusted(phone, register_farmer):
    register_farmer(phone=CALLER, locale="en")
    caller = phone()
    caller.dial()
    heard = caller.answer("say@0.2: onion price")
    assert posts(heard)[0].detail.endswith("SpeechResult=onion price Confidence=0.2")
    assert said(heard)[0] == texts("en", latin=False)(N_("voice.not_understood"))


def test_a_question_recorded_over_twilio_is_kept_on_the_ticket(phone, register_farmer, db):
    register_farmer(phone=CALLER, locale="en")
    t = texts("en", latin=False)
    caller = phone()
    caller.dial()
    heard = caller.press("4")  # pest or disease
    heard = caller.press(key_for(heard, "Onion", t))
    heard = caller.press("9")  # more symptoms
    caller.press(key_for(heard, t(N_("voice.pest.symptom.other")), t))
    assert caller.waiting.recording and caller.waiting.finish_on_key == "#"
    with pytest.raises(NotHeard):
        caller.press("1")
    heard = caller.record(20)
    form = posts(heard)[0].detail
    assert posts(heard)[0].text == f"{PUBLIC}/twilio/voice?turn=record"
    assert "RecordingDuration=20" in form and "RecordingUrl=https://api.twilio.com/" in form
    assert caller.ended  # the ticket is read out and the gateway hangs up
    db.rollback()
    request = db.scalar(select(ExpertRequest))
    assert request.kind == "pest_report" and request.channel == "voice"
    assert request.recording_url.startswith("https://api.twilio.com/2010-04-01/Accounts/AC")
    assert request.recording_url in form


def test_every_twilio_request_is_signed_over_the_url_twilio_calls(phone, register_farmer):
    register_farmer(phone=CALLER)
    with pytest.raises(RuntimeError, match="HTTP 403.*auth-token"):
        phone(auth_token="not-the-token").dial()


def test_a_call_to_the_missed_call_line_is_rejected_unanswered(phone, db, voice_app):
    queued = []
    voice_app.extensions["kheti"].tasks = Tasks(lambda name, args: queued.append((name, args)))  # recorded, not run
    caller = phone(to=MISSED_CALL_LINE)
    heard = caller.dial()
    assert said(heard) == [] and caller.ended
    assert "rejected unanswered" in heard[-1].text and "CallStatus=busy" in posts(heard)[-1].detail
    log = call_log(db, "twilio", caller.call_id)
    assert log.kind == "missed_call" and queued == [(CALL_BACK, (log.id,))]


# Africa's Talking

def test_an_africas_talking_call_by_keys_with_a_recorded_pest_report(phone, register_farmer, db):
    register_farmer(phone=CALLER, locale="en")
    t = texts("en", latin=False)
    caller = phone(AFRICASTALKING)

    heard = caller.dial()
    assert posts(heard)[0].text == f"{PUBLIC}/africastalking/voice?token=***"  # the token travels, masked here
    assert "isActive=1" in posts(heard)[0].detail and "direction=Inbound" in posts(heard)[0].detail
    assert {line.detail for line in heard if line.kind == "say"} == {"English, woman"}
    assert said(heard)[0].startswith(t(N_("voice.welcome")))
    assert caller.waiting.keys and caller.waiting.speech is None and caller.waiting.num_digits == 1

    with pytest.raises(NotHeard, match="no speech"):
        caller.answer("say: gehun ka bhav")  # nothing is posted
    assert caller.lines[-1].kind == "wait"

    heard = caller.press("2")
    assert posts(heard)[0].text == f"{PUBLIC}/africastalking/voice?turn=keys&token=***"
    assert posts(heard)[0].detail.endswith("dtmfDigits=2")
    heard = caller.press(key_for(heard, "Onion", t))
    assert "Onion" in said(heard)[0] and "Lasalgaon" in said(heard)[0]

    heard = caller.silence()  # AT moves on to the Redirect
    assert posts(heard)[0].text == f"{PUBLIC}/africastalking/voice?turn=silence&token=***"
    assert "dtmfDigits" not in posts(heard)[0].detail
    assert said(heard)[0].startswith(t(N_("voice.no_input")))

    caller.press("*")
    caller.press("4")  # pest or disease
    caller.press("2")  # the farmer's second crop, onion
    caller.press("9")  # more symptoms
    caller.press("2")  # something else: tell it
    assert caller.waiting.recording
    heard = caller.answer("record")
    recording = posts(heard)[0]
    assert recording.text == f"{PUBLIC}/africastalking/voice?turn=record&token=***"
    assert "recordingUrl=https://" in recording.detail
    assert said(heard)[0].endswith(t(N_("voice.goodbye")))

    assert caller.ended  # the document ran out: AT hangs up and sends its final notification
    final = posts(heard)[-1]
    assert final.text == f"{PUBLIC}/africastalking/voice?token=***"
    assert "isActive=0" in final.detail and f"durationInSeconds={caller.seconds}" in final.detail
    db.rollback()
    request = db.scalar(select(ExpertRequest))
    assert request.kind == "pest_report" and request.crop.code == "onion"
    assert request.recording_url and request.recording_url in recording.detail
    assert request.ticket in db.scalar(select(OutboundMessage.body).where(OutboundMessage.purpose == "ticket"))
    log = call_log(db, "africastalking", caller.call_id)
    amount = Decimal(final.detail.split("amount=")[1].split()[0])
    assert (log.status, log.duration_s, log.cost, log.cost_currency) == \
        ("completed", caller.seconds, amount, "KES")
    assert log.ended_at is not None and amount > 0


def test_an_africas_talking_caller_who_hangs_up_closes_the_call_log(phone, register_farmer, db):
    register_farmer(phone=CALLER, locale="en")
    caller = phone(AFRICASTALKING)
    caller.dial()
    caller.press("1")  # weather
    heard = caller.answer("hangup")
    assert caller.ended and heard[-1].text.startswith("you hung up")
    log = call_log(db, "africastalking", caller.call_id)
    assert log.status == "completed" and log.duration_s == caller.seconds and log.cost is not None
    assert log.ended_at is not None


def test_a_wrong_at_token_is_refused(phone):
    with pytest.raises(RuntimeError, match="HTTP 403.*--token"):
        phone(AFRICASTALKING, token="wrong").dial()


# Following provider XML the gateway may send one day

def test_twilio_keys_stop_at_num_digits_and_finish_on_key():
    post, sent = canned('<Response><Gather numDigits="2" action="/next"><Say>Two keys</Say></Gather></Response>',
                        '<Response><Gather finishOnKey="*" action="next2"><Say>Any keys</Say></Gather></Response>',
                        '<Response><Gather input="dtmf" action="/x"/></Response>')
    caller = VoicePhone(post=post, base_url="https://h.example/app", auth_token="t")
    caller.dial()
    heard = caller.press("123")
    assert sent[-1][0] == "https://h.example/next" and sent[-1][1]["Digits"] == "12"  # a relative URL resolved
    assert heard[0].text == "keys not heard: 3"
    caller.press("45*6")
    assert sent[-1][0] == "https://h.example/next2" and sent[-1][1]["Digits"] == "45"
    assert "X-Twilio-Signature" in sent[-1][2]
    with pytest.raises(NotHeard, match="not listened to"):
        caller.say("hello")  # a Gather without speech does not hear it


def test_twilio_silence_without_action_on_empty_result_goes_on_to_the_next_verb():
    post, sent = canned('<Response><Gather action="/g"><Say>Press</Say></Gather><Say>Bye</Say><Hangup/>'
                        '</Response>')
    caller = VoicePhone(post=post, base_url="https://h.example", auth_token="t")
    caller.dial()
    heard = caller.silence()
    assert said(heard) == ["Bye"] and caller.ended
    assert [url for url, _, _ in sent] == ["https://h.example/twilio/voice", "https://h.example/twilio/voice/status"]


def test_an_empty_twilio_recording_posts_nothing_and_the_call_goes_on():
    # Twilio: "if Twilio receives an empty recording, it will not make a request to the action URL".
    post, sent = canned('<Response><Say>Speak</Say><Record action="/r" maxLength="60"/></Response>')
    caller = VoicePhone(post=post, base_url="https://h.example", auth_token="t")
    caller.dial()
    heard = caller.silence()
    assert caller.ended and "nothing more to do" in heard[-1].text
    assert [url for url, _, _ in sent][-1].endswith("/twilio/voice/status")


def test_at_redirect_is_followed_with_the_call_fields():
    post, sent = canned('<Response><Say>Hi</Say><Redirect>https://h.example/africastalking/voice?turn=x</Redirect>'
                        '</Response>', '<Response><Say>There</Say></Response>')
    caller = VoicePhone(post=post, provider=AFRICASTALKING, base_url="https://h.example", token="s3")
    heard = caller.dial()
    assert said(heard) == ["Hi", "There"] and caller.ended
    assert [url for url, _, _ in sent] == ["https://h.example/africastalking/voice?token=s3",
                                           "https://h.example/africastalking/voice?turn=x",
                                           "https://h.example/africastalking/voice?token=s3"]
    assert sent[1][1]["isActive"] == "1" and sent[2][1]["isActive"] == "0"


def test_inputs_that_mean_nothing_are_refused():
    post, _ = canned('<Response><GetDigits numDigits="1" callbackUrl="/k"><Say>Press</Say></GetDigits></Response>')
    caller = VoicePhone(post=post, provider=AFRICASTALKING, base_url="https://h.example")
    caller.dial()
    for text in ("hello", "say", "record x", "say@high: x"):
        with pytest.raises(NotHeard):
            caller.answer(text)
    with pytest.raises(NotHeard, match="nothing is being recorded"):
        caller.answer("record")


# kheti simulate voice

def test_the_simulate_voice_command_runs_a_scripted_twilio_call(transport, register_farmer, db, monkeypatch):
    register_farmer(phone=CALLER, locale="en")
    monkeypatch.setattr("cli.simulate.voice_post", lambda url, public_url=None: transport)
    result = CliRunner().invoke(main, ["simulate", "voice", "--phone", CALLER, "--auth-token", AUTH,
                                       "--public-url", PUBLIC, "--inputs", "2,2,*,say:wheat price,hello,,"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "(speaking, en-IN, Polly.Aditi) Namaste! Welcome to Kheti Sahayak." in out
    assert "(waiting for a key or speech in en-IN" in out
    assert "> say:wheat price" in out and "Wheat prices for one quintal" in out
    assert "(not sent: type keys" in out
    assert "POST" not in out  # only with --verbose
    assert out.rstrip().endswith("s)") and "(call ended: the gateway hung up;" in out


def test_the_simulate_voice_command_hangs_up_when_the_inputs_run_out(transport, register_farmer, monkeypatch):
    register_farmer(phone=CALLER, locale="en")
    monkeypatch.setattr("cli.simulate.voice_post", lambda url, public_url=None: transport)
    result = CliRunner().invoke(main, ["simulate", "voice", "--provider", "africastalking", "--phone", CALLER,
                                       "--token", AT_TOKEN, "--public-url", PUBLIC, "--inputs", "say:x,1", "-v"])
    assert result.exit_code == 0, result.output
    assert "(not sent: Africa's Talking recognises no speech" in result.output
    assert "> hangup" in result.output and "(call ended: you hung up;" in result.output
    assert "isActive=0" in result.output and AT_TOKEN not in result.output


def test_simulating_twilio_needs_its_auth_token(monkeypatch):
    from cli import main
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    result = CliRunner().invoke(main, ["simulate", "voice", "--inputs", "1"])
    assert result.exit_code == 2 and "TWILIO_AUTH_TOKEN" in result.output
