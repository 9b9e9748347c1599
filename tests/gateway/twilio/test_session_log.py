"""A call's session log: each turn (keys pressed, words said, silence) with its screen and what was spoken, kept in
Redis during the call and moved onto its call log row when Twilio's status callback closes the call."""
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from dialogs.texts import texts
from farmdb.models import CallLog
from tests.gateway.twilio.test_voice_endpoint import FARMER, PUBLIC, TOKEN, call, voice_app  # noqa: F401 (fixtures)


def status(voice_app, c, value, duration=""):  # noqa: F811
    form = {"CallSid": c.sid, "AccountSid": "AC" + "1" * 32, "CallStatus": value, "From": FARMER, "To": c.to,
            "Direction": "inbound", "CallDuration": duration}
    signature = RequestValidator(TOKEN).compute_signature(f"{PUBLIC}/twilio/voice/status", form)
    response = voice_app.test_client().post("/twilio/voice/status", data=form,
                                            headers={"X-Twilio-Signature": signature})
    assert response.status_code == 204


def test_a_call_s_turns_are_kept_and_moved_onto_its_log_when_it_ends(call, voice_app, register_farmer,  # noqa: F811
                                                                     sessions, redis_client):
    register_farmer(locale="hi", crops=("onion", "wheat"))
    t = texts("hi", latin=False)
    c = call().start()
    c.say("गेहूं का भाव")  # said at the main menu: wheat's prices
    c.press("0")
    c.silence()
    key = f"voice:{{{c.sid}}}:steps:{c.sid}"
    assert redis_client.llen(key) == 4
    status(voice_app, c, "in-progress")  # not the end: nothing moves
    assert redis_client.llen(key) == 4
    status(voice_app, c, "completed", "61")
    with sessions() as db:
        log = db.scalar(select(CallLog).where(CallLog.call_id == c.sid))
    assert [(s["s"], s["i"]) for s in log.steps] == [
        ("main", ""), ("prices", "गेहूं का भाव"), ("prices_crop", "0"), ("prices_crop", "silence")]
    assert log.steps[0]["o"].startswith(t("voice.welcome"))
    assert log.steps[2]["o"].startswith(t("prices.crop.title"))
    assert log.steps[3]["o"].startswith(t("voice.no_input"))
    assert all(len(s["o"]) <= 200 for s in log.steps)
    assert not redis_client.exists(key)
