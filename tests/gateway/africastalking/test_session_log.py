"""The session log of a USSD session: each hop's step kept in Redis beside the session (not in it), moved onto the
ussd_sessions row with the screen it ended on when Africa's Talking reports the end, and erased with the farmer."""
from sqlalchemy import select

from dialogs.texts import texts
from farmdb import farmers
from farmdb.models import CallLog, Farmer, UssdSession
from tests.gateway.africastalking.test_ussd_endpoint import END_OF_SESSION
from tests.gateway.africastalking.test_ussd_flows import walk

PHONE = "+919812345678"


def end_of(phone, status="Success"):
    """What AT posts once the session is over, for this simulated phone's session."""
    return {**END_OF_SESSION, "sessionId": phone.session_id, "phoneNumber": phone.phone, "status": status,
            "hopsCount": "3", "input": "*".join(phone.inputs)}


def test_a_walk_s_steps_are_kept_in_redis_then_moved_onto_the_session_row(ussd, client, db, register_farmer,
                                                                         redis_client):
    register_farmer(name="Asha Pawar")
    T = texts("en", latin=True)
    phone = walk(ussd(PHONE), [(None, T("main.title", name="Asha")), ("2", ""), ("1", "")])
    key = f"ussd:{{{PHONE}}}:steps:{phone.session_id}"
    assert redis_client.llen(key) == 3 and 0 < redis_client.ttl(key)
    assert b"steps" not in redis_client.get(f"ussd:{{{PHONE}}}")  # the session record itself stays small
    phone.resend()  # AT's retry of the last hop: answered again, not logged again
    assert redis_client.llen(key) == 3

    assert client.post("/africastalking/ussd/events", data=end_of(phone)).status_code == 200
    row = db.scalar(select(UssdSession).where(UssdSession.session_id == phone.session_id))
    assert [(s["s"], s["i"]) for s in row.steps] == [("main", ""), ("prices_crop", "2"), ("prices", "1")]
    assert row.steps[0]["o"].startswith("CON ") and T("main.title", name="Asha")[:20] in row.steps[0]["o"]
    assert row.steps[-1]["o"].removeprefix("CON ")[:30] in "CON " + phone.screen
    assert row.exit_screen == "prices"
    assert row.steps[0]["t"] <= row.steps[1]["t"] <= row.steps[2]["t"]
    assert all(len(s["o"]) <= 200 for s in row.steps)
    assert not redis_client.exists(key)  # moved: Redis forgets it

    client.post("/africastalking/ussd/events", data=end_of(phone))  # AT's retry: the steps stay
    db.expire_all()
    assert len(db.scalar(select(UssdSession).where(UssdSession.session_id == phone.session_id)).steps) == 3


def test_a_stranger_s_steps_keep_the_screens_but_not_what_they_typed(ussd, client, db):
    phone = walk(ussd("+919812300077"), [(None, ""), ("1", ""), ("Ramesh Patil", "")])
    assert client.post("/africastalking/ussd/events", data=end_of(phone, "Incomplete")).status_code == 200
    row = db.scalar(select(UssdSession).where(UssdSession.session_id == phone.session_id))
    assert [s["s"] for s in row.steps] == ["language", "reg_name", "reg_state"] and row.exit_screen == "reg_state"
    assert {(s["i"], s["o"]) for s in row.steps} == {("", "")}
    assert "Ramesh" not in str(row.steps)


def test_a_session_never_reported_ended_keeps_its_steps_only_until_they_expire(ussd, redis_client, register_farmer):
    register_farmer()
    phone = ussd(PHONE)
    phone.dial()
    ttl = redis_client.ttl(f"ussd:{{{PHONE}}}:steps:{phone.session_id}")
    assert 600 < ttl <= 600 + 600  # the resume window, then the grace for AT's report


def test_erasure_clears_the_steps_of_sessions_and_calls(db, sessions, register_farmer):
    farmer_id = register_farmer()
    step = [{"t": 1.0, "s": "reg_name", "i": "Asha Pawar", "o": "CON Your name?"}]
    with sessions() as s, s.begin():
        s.add(UssdSession(session_id="ATUid_erase", phone=PHONE, status="Success", steps=step, exit_screen="main"))
        s.add(CallLog(provider="twilio", call_id="CAerase", kind="hotline", direction="inbound", phone=PHONE,
                      farmer_id=farmer_id, status="completed", steps=step))
        s.add(UssdSession(session_id="ATUid_other", phone="+919812399999", status="Success", steps=step))
    with sessions() as s, s.begin():
        farmers.erase(s, s.get(Farmer, farmer_id), channel="operator", notice="console.erase")
    ussd_row = db.scalar(select(UssdSession).where(UssdSession.session_id == "ATUid_erase"))
    call = db.scalar(select(CallLog).where(CallLog.call_id == "CAerase"))
    assert (ussd_row.phone, ussd_row.steps, ussd_row.exit_screen) == ("erased", None, "main")
    assert (call.phone, call.steps) == ("erased", None)
    assert db.scalar(select(UssdSession).where(UssdSession.session_id == "ATUid_other")).steps == step


def test_an_at_call_s_turns_move_onto_its_log_when_at_reports_the_hang_up(client, register_farmer, db, redis_client):
    from tests.gateway.africastalking.test_voice_endpoint import AtCall
    register_farmer(locale="en")
    t = texts("en", latin=False)
    c = AtCall(client).start()
    c.press("1")
    c.silence()
    c.silence()  # twice: goodbye, the last turn
    key = f"voice:{{{c.session_id}}}:steps:{c.session_id}"
    assert redis_client.llen(key) == 4
    c.hang_up()
    log = db.scalar(select(CallLog).where(CallLog.call_id == c.session_id))
    assert [(s["s"], s["i"]) for s in log.steps] == [
        ("main", ""), ("weather", "1"), ("weather", "silence"), ("weather", "silence")]
    assert log.steps[1]["o"].startswith(t("weather.title", district="Nashik")[:100])
    assert log.steps[-1]["o"].endswith(t("voice.goodbye"))
    assert not redis_client.exists(key)


def test_erasure_also_forgets_the_live_logs_in_redis(redis_client, register_farmer, service, sessions):
    """A farmer who withdraws mid-session: the logs still in Redis (their words) go with the rest."""
    from service.farmer_records import erase
    farmer_id = register_farmer()
    for key in (f"ussd:{{{PHONE}}}:steps:ATUid_live", "voice:{CAlive}:steps:CAlive",
                "ussd:{+919812399999}:steps:ATUid_other"):
        redis_client.rpush(key, '{"s": "reg_name", "i": "Asha Pawar"}')
    with sessions() as s, s.begin():
        s.add(CallLog(provider="twilio", call_id="CAlive", kind="hotline", direction="inbound", phone=PHONE,
                      farmer_id=farmer_id, status="in-progress"))
    with sessions() as s, s.begin():
        erase(service, s, s.get(Farmer, farmer_id))
    assert not redis_client.exists(f"ussd:{{{PHONE}}}:steps:ATUid_live", "voice:{CAlive}:steps:CAlive")
    assert redis_client.exists("ussd:{+919812399999}:steps:ATUid_other")  # someone else's
    redis_client.delete("ussd:{+919812399999}:steps:ATUid_other")
