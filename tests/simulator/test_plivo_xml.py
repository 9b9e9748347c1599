"""The simulator's reading of the Plivo XML the gateway sends (gateway/plivo/voice.py): GetInput by keys (numDigits,
finishOnKey, InputType=dtmf) and by speech, no input moving on to the next element, an empty recording posting
nothing, redirect="false", a Hangup with a reason leaving the call unanswered, Dial, and what is not Plivo's."""
import pytest
from plivo.utils.signature_v3 import validate_v3_signature

from simulator.voice import PLIVO, NotHeard, VoicePhone
from tests.simulator.calls import CALLER, canned, said

CALLER_DIGITS = CALLER.lstrip("+")

GET_INPUT = ('<GetInput action="/plivo/voice?turn=input" method="POST" inputType="{inputs}" executionTimeout="6" '
             'digitEndTimeout="auto" numDigits="{digits}" language="hi-IN" redirect="true">'
             '<Speak language="hi-IN" voice="Polly.Aditi">{prompt}</Speak></GetInput>')


def plivo_phone(post, **options):
    return VoicePhone(post=post, provider=PLIVO, phone=CALLER, base_url="https://h.example", auth_token="t",
                      **options)


def test_plivo_keys_stop_at_num_digits_and_are_posted_as_dtmf():
    post, sent = canned(f"<Response>{GET_INPUT.format(inputs='dtmf speech', digits=2, prompt='Two')}</Response>",
                        '<Response><GetInput action="next" inputType="dtmf" finishOnKey="*"><Speak>Any</Speak>'
                        '</GetInput></Response>',
                        f"<Response>{GET_INPUT.format(inputs='speech', digits=1, prompt='Name')}</Response>")
    caller = plivo_phone(post)
    heard = caller.dial()
    assert said(heard) == ["Two"] and heard[1].detail == "hi-IN, Polly.Aditi"
    assert caller.waiting.describe() == "up to 2 keys or speech in hi-IN (say: ...); 6 s of silence moves on"
    heard = caller.press("123")
    assert sent[-1][0] == "https://h.example/plivo/voice?turn=input"
    assert (sent[-1][1]["InputType"], sent[-1][1]["Digits"]) == ("dtmf", "12") and "Event" not in sent[-1][1]
    assert heard[0].text == "keys not heard: 3"
    assert heard[-1].text.startswith("keys ending with *; 15 s")  # Plivo's defaults: no numDigits, 15 s
    with pytest.raises(NotHeard, match="not listened to"):
        caller.say("hello")  # inputType dtmf does not hear speech
    caller.press("45*6")
    assert sent[-1][0] == "https://h.example/plivo/next" and sent[-1][1]["Digits"] == "45"
    with pytest.raises(NotHeard, match="answered by speaking"):
        caller.press("1")  # inputType speech does not hear keys
    caller.say("Sunita", 0.75)
    assert sent[-1][1] == {"CallUUID": caller.call_id, "From": CALLER_DIGITS, "To": "918047177300",
                           "CallStatus": "in-progress", "Direction": "inbound", "InputType": "speech",
                           "Speech": "Sunita", "SpeechConfidenceScore": "0.75"}
    for url, form, headers in sent:
        assert validate_v3_signature("POST", url, headers["X-Plivo-Signature-V3-Nonce"], "t",
                                     headers["X-Plivo-Signature-V3"], form)


def test_no_input_moves_plivo_on_to_the_next_element():
    post, sent = canned(f"<Response>{GET_INPUT.format(inputs='dtmf speech', digits=1, prompt='Press')}"
                        '<Redirect method="POST">https://h.example/plivo/voice?turn=silence</Redirect></Response>',
                        '<Response><Speak>Again</Speak><Wait length="2"/><Play>https://h.example/a.mp3</Play>'
                        '<Hangup/></Response>')
    caller = plivo_phone(post)
    caller.dial()
    heard = caller.silence()
    assert [str(line) for line in heard if line.kind != "post"][:3] == \
        ["(speaking, en-US, WOMAN) Again", "(pause, 2 s)", "[audio] https://h.example/a.mp3"]
    assert caller.ended and caller.seconds == 1 + 6 + 1 + 2 + 5  # prompt, the wait, "Again", the pause, the clip
    assert [url for url, _, _ in sent] == ["https://h.example/plivo/voice",
                                           "https://h.example/plivo/voice?turn=silence",
                                           "https://h.example/plivo/voice/status"]
    assert sent[1][1]["CallUUID"] == sent[0][1]["CallUUID"] and "Digits" not in sent[1][1]
    assert sent[2][1]["HangupSource"] == "Answer XML"


def test_an_empty_plivo_recording_posts_nothing_and_the_call_goes_on():
    post, sent = canned('<Response><Speak>Speak</Speak><Record action="/plivo/voice?turn=record" method="POST" '
                        'maxLength="60" finishOnKey="#" playBeep="true" timeout="5" fileFormat="mp3" redirect="true"/>'
                        '<Speak>Nothing heard</Speak></Response>')
    caller = plivo_phone(post)
    caller.dial()
    assert caller.waiting.recording and caller.waiting.timeout == 5
    heard = caller.silence()
    assert said(heard) == ["Nothing heard"] and caller.ended
    assert "nothing more to do" in heard[-1].text
    assert [url for url, _, _ in sent] == ["https://h.example/plivo/voice", "https://h.example/plivo/voice/status"]
    assert sent[-1][1]["HangupCauseName"] == "End Of XML Instructions"


def test_plivo_redirect_false_tells_the_action_and_goes_on():
    post, sent = canned('<Response><GetInput action="/told" inputType="dtmf" redirect="false"><Speak>Rate us'
                        '</Speak></GetInput><Speak>Thanks</Speak></Response>', '<Response><Speak>Ignored</Speak>'
                        '</Response>')
    caller = plivo_phone(post)
    caller.dial()
    heard = caller.press("5#")
    assert said(heard) == ["Thanks"] and caller.ended
    assert sent[1][0] == "https://h.example/told" and sent[1][1]["Digits"] == "5"


def test_a_plivo_hangup_with_a_reason_leaves_the_call_unanswered_and_a_dial_connects():
    post, sent = canned('<Response><Hangup reason="rejected"/></Response>')
    caller = plivo_phone(post)
    heard = caller.dial()
    assert caller.ended and heard[-1].text.startswith("rejected unanswered (rejected)")
    assert (sent[-1][1]["CallStatus"], sent[-1][1]["TotalCost"]) == ("busy", "0.00000")

    post, sent = canned('<Response><Dial callerId="918047177300"><Number>919812377001</Number></Dial></Response>')
    caller = plivo_phone(post)
    heard = caller.dial()
    assert [line.text for line in heard if line.kind == "note"] == \
        ["connected to 919812377001 (the other phone is not simulated)"]
    assert caller.ended and sent[-1][1]["HangupSource"] == "Caller"


def test_twilio_verbs_are_not_plivo_xml():
    post, _ = canned('<Response><Say>Hello</Say></Response>')
    caller = plivo_phone(post)
    heard = caller.dial()
    assert heard[1].text == "<Say> is not simulated" and caller.ended
