"""A farmer who used every channel asks to have their data erased (by USSD, by SMS, through an operator): afterwards
no column of any table holds their number, in any form, or anything they said, typed or recorded, or what an expert
wrote back to them. Every table the database has is read, so a table added later is checked without a change here.
What the law asks us to keep stays: the consent record, the payment for the accounts, the counts of calls and
messages. And nothing in Redis keeps the number longer than a short-lived lock or session does."""
import json
import re
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import func, inspect, select, text
from twilio.request_validator import RequestValidator

from farmdb.models import (Advisory, Base, CallLog, ConsentEvent, Crop, ExpertRequest, Farmer, InboundMessage,
                           OutboundMessage, Payment)
from farmdb.farmers import ERASURE_NOTICE, forget_notified
from gateway import create_app
from service import operators
from service.tasks import SEND_SMS, Tasks
from simulator.ussd import UssdPhone
from simulator.voice import AFRICASTALKING, TWILIO, VoicePhone
from tests.conftest import SEED_DAY
from tests.console.conftest import PASSWORD, Console

PHONE, DIGITS, TYPED = "+919822011234", "9822011234", "+91 98220-11234"
NAME = "Zumbarlal Kokate"
PEST_WORDS = "patti peeli, safed keede khet me"
AT_SMS = "kapas me gulabi sundi lagi hai"
TWILIO_SMS = "aaj kanda bhav lasalgaon batao"
ANSWER = "Neem tel 5 ml har litre me chhidkein"
TOKEN, PUBLIC, KEY = "twilio-erasure-token", "https://gw.example.org", "erasure-admin-key"
MISSED_CALL_LINE = "+912071177399"
KEPT_BY_LAW = {"farmers", "ussd_sessions", "inbound_messages", "outbound_messages", "call_logs", "expert_requests"}


@pytest.fixture
def app(make_service, clock):
    service, _ = make_service(twilio_auth_token=TOKEN, public_base_url=PUBLIC, admin_api_key=KEY,
                              missed_call_numbers=frozenset({MISSED_CALL_LINE}))
    app = create_app(service=service, today=lambda: SEED_DAY)
    app.config.update(TESTING=True)
    return app


def ussd_phone(client) -> UssdPhone:
    def post(form):
        response = client.post("/africastalking/ussd", data=form)
        return response.status_code, response.get_data(as_text=True)
    return UssdPhone(post=post, phone=PHONE)


def walk(phone: UssdPhone, inputs: list[str], expected: str = "") -> str:
    screen = phone.dial()
    for typed in inputs:
        screen = phone.press(typed)
    assert expected in screen, screen
    return screen


def end_of_session(client, phone: UssdPhone) -> None:
    """What Africa's Talking posts when a session ends: everything the caller typed, and the last screen."""
    form = {"sessionId": phone.session_id, "serviceCode": phone.service_code, "phoneNumber": PHONE,
            "networkCode": phone.network_code, "status": "Success", "input": phone.text, "hopsCount": "5",
            "lastAppResponse": f"END {phone.screen}", "durationInMillis": "30000", "cost": "INR 0.0000"}
    assert client.post("/africastalking/ussd/events", data=form).status_code == 200


def at_sms(client, words: str, n: int) -> None:
    form = {"from": PHONE, "to": "54321", "text": words, "date": "2026-07-15 09:12:33", "id": f"ATXid_erase{n}",
            "linkId": "", "networkCode": "40445"}
    assert client.post("/africastalking/sms", data=form).status_code == 200


def twilio_sms(client, words: str) -> None:
    form = {"MessageSid": "SM" + "e" * 32, "AccountSid": "AC" + "0" * 32, "From": PHONE, "To": "+15005550006",
            "Body": words, "NumMedia": "0"}
    signature = RequestValidator(TOKEN).compute_signature(f"{PUBLIC}/twilio/sms", form)
    assert client.post("/twilio/sms", data=form, headers={"X-Twilio-Signature": signature}).status_code == 200


def voice_phone(client, provider: str, **overrides) -> VoicePhone:
    def post(url, form, headers):
        parts = urlsplit(url)
        response = client.post(parts.path + (f"?{parts.query}" if parts.query else ""), data=form, headers=headers)
        return response.status_code, response.get_data(as_text=True)
    return VoicePhone(post=post, provider=provider, phone=PHONE, base_url=PUBLIC, auth_token=TOKEN, **overrides)


def signed_in(app, sessions, username: str, role: str) -> Console:
    with sessions() as db, db.begin():
        row, _ = operators.add_operator(db, username, role, display_name=username.title())
        row.password_hash, row.must_change_password = operators.hash_password(PASSWORD), False
    browser = Console(app.test_client())
    assert browser.sign_in(username).status_code == 302
    return browser


def use_every_channel(app, sessions) -> dict:
    """Register and live a season: returns the farmer's id, their recordings, and the USSD phone."""
    client = app.test_client()
    ussd = ussd_phone(client)
    walk(ussd, ["1", NAME, "maharashtra", "nasik", "6", "5", "99", "1"], "Zumbarlal")  # consent given
    end_of_session(client, ussd)
    walk(ussd, ["4", "2", "7", PEST_WORDS])  # a pest report in their words
    end_of_session(client, ussd)
    walk(ussd, ["7", "2", "1"])  # a season's plan: a payment link by SMS
    with sessions() as db:
        farmer_id = db.scalar(select(Farmer.id).where(Farmer.phone == PHONE))
        link = urlsplit(re.search(r"https?://\S+", db.scalar(select(OutboundMessage.body).where(
            OutboundMessage.purpose == "payment_link"))).group(0)).path
    page = client.get(link).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    assert client.post(link + "/pay", data={"csrf_token": token}).status_code == 303  # a receipt by SMS

    at_sms(client, AT_SMS, 1)
    twilio_sms(client, TWILIO_SMS)
    hotline = voice_phone(client, TWILIO)
    hotline.dial()
    hotline.press("5")  # the expert
    hotline.press("1")
    hotline.record(15)  # a question, in their voice
    hotline.hang_up()
    at_call = voice_phone(client, AFRICASTALKING)
    at_call.dial()
    for key in ("4", "2", "9", "2"):
        at_call.press(key)
    at_call.answer("record")  # a pest report, spoken
    voice_phone(client, TWILIO, to=MISSED_CALL_LINE).dial()  # a missed call: rung back

    with sessions() as db:
        ticket = db.scalar(select(ExpertRequest.ticket).where(ExpertRequest.description == PEST_WORDS))
        recordings = db.scalars(select(ExpertRequest.recording_url).where(ExpertRequest.recording_url.is_not(None)))
        recordings = sorted(recordings)
        onion = db.scalar(select(Advisory.id).join(Crop).where(Crop.code == "onion").order_by(Advisory.id))
    agronomist = signed_in(app, sessions, "meera", "agronomist")
    agronomist.get(f"/console/tickets/{ticket}")
    assert agronomist.post(f"/console/tickets/{ticket}/answer", {"text": ANSWER}).status_code == 302
    admin = signed_in(app, sessions, "asha", "admin")
    assert NAME in admin.text(f"/console/farmers?{urlencode({'q': TYPED})}")
    assert admin.post("/console/farmers.csv", {"q": TYPED}).status_code == 200  # audited, with the search
    admin.post(f"/console/farmers/{farmer_id}/reveal")
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {KEY}"
    assert api.post("/api/v1/broadcasts", json={"advisory_id": onion, "district": "Nashik"}).status_code in (200, 201)
    return {"farmer_id": farmer_id, "recordings": recordings, "ussd": ussd, "admin": admin, "client": client}


def erase_by(way: str, app, used: dict) -> None:
    client = used["client"]
    if way == "ussd":
        walk(used["ussd"], ["6", "5", "1"])
        end_of_session(client, used["ussd"])  # arrives after the farmer is gone
    elif way == "sms":
        at_sms(client, "DELETE", 2)
        at_sms(client, "YES", 3)  # its answer still reaches their phone
    else:
        page = used["admin"].post(f"/console/farmers/{used['farmer_id']}/erase", {"confirm": "ERASE"})
        assert page.status_code == 302


def mentions(db, needles: list[str]) -> dict[str, set[str]]:
    """{table: {column, ...}} of every value in the database that holds the number (however written: +91..., 91...,
    the ten digits, with spaces or dashes) or one of the texts. Every table the database has, every column."""
    found: dict[str, set[str]] = {}
    inspector = inspect(db.get_bind())
    tables = inspector.get_table_names()
    assert set(Base.metadata.tables) <= set(tables)
    for table in tables:
        for row in db.execute(text(f'SELECT * FROM "{table}"')).mappings():
            for column, value in row.items():
                if value is None:
                    continue
                said = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
                if DIGITS in re.sub(r"[\s().-]", "", said) or any(n.lower() in said.lower() for n in needles):
                    found.setdefault(table, set()).add(column)
    return found


def in_redis(redis, needles: list[str]) -> dict[str, tuple[bool, int]]:
    """{key: (whether it holds one of the texts, its TTL)} of every Redis key whose name or value holds the number
    or one of the texts."""
    found = {}
    for key in redis.scan_iter():
        kind = redis.type(key).decode()
        value = {"string": lambda: redis.get(key), "hash": lambda: redis.hgetall(key),
                 "list": lambda: redis.lrange(key, 0, -1), "set": lambda: redis.smembers(key),
                 "zset": lambda: redis.zrange(key, 0, -1)}.get(kind, lambda: b"")()
        said = f"{key!r} {value!r}".replace("\\/", "/")
        texts = any(n in said for n in needles)
        if texts or DIGITS in said:
            found[key.decode()] = (texts, redis.ttl(key))
    return found


@pytest.mark.parametrize("way", ["ussd", "sms", "console"])
def test_erasure_leaves_nothing_of_the_farmer_in_any_table(way, app, sessions, backends):
    used = use_every_channel(app, sessions)
    needles = [NAME, PEST_WORDS, AT_SMS, TWILIO_SMS, ANSWER, *used["recordings"]]
    assert len(used["recordings"]) == 2
    theirs = used["farmer_id"]
    with sessions() as db:
        before = mentions(db, needles)
        calls = db.scalars(select(CallLog.id).where(CallLog.farmer_id == theirs)).all()
        tickets = db.scalars(select(ExpertRequest.id).where(ExpertRequest.farmer_id == theirs)).all()
        consent = db.scalars(select(ConsentEvent.id).where(ConsentEvent.farmer_id == theirs)).all()
        [paid] = db.scalars(select(Payment.id).where(Payment.farmer_id == theirs, Payment.status == "paid")).all()
    assert KEPT_BY_LAW <= set(before), before  # the channels did write them: the scan can find them
    with sessions() as db:
        sent = set(db.scalars(select(OutboundMessage.purpose).where(OutboundMessage.phone == PHONE)))
    assert {"payment_link", "receipt", "ticket", "ticket_answer", "reply", "advisory"} <= sent, sent
    assert any(texts for texts, _ in in_redis(backends.redis, needles).values())  # their calls' sessions
    assert (len(calls), len(tickets), len(consent)) == (3, 4, 1)  # USSD, SMS and two calls made tickets

    erase_by(way, app, used)

    with sessions() as db:
        assert mentions(db, needles) == {}
        assert db.get(Farmer, theirs) is None
        kept = db.execute(select(ConsentEvent.action, ConsentEvent.farmer_id).where(ConsentEvent.id >= consent[0])
                          .order_by(ConsentEvent.id)).all()
        assert kept == [("given", None), ("withdrawn", None)]
        payment = db.get(Payment, paid)  # for the accounts, no longer anyone's
        assert (payment.status, payment.amount_minor, payment.farmer_id) == ("paid", 9900, None)
        assert [(c.phone, c.farmer_id) for c in db.scalars(select(CallLog).where(CallLog.id.in_(calls)))] == \
            [("erased", None)] * 3
        assert db.scalar(select(func.count()).where(ExpertRequest.id.in_(tickets))) == 4
    # Redis: nothing they said, and their number only in the name of a lock, a limit or a session that expires
    # by itself within the day.
    assert {key: texts for key, (texts, _) in in_redis(backends.redis, needles).items() if texts} == {}
    assert all(0 < ttl <= 86_400 for _, ttl in in_redis(backends.redis, needles).values())


def test_an_erasure_notice_keeps_the_number_only_until_it_has_gone(app, sessions, monkeypatch, booted):
    """When the notice cannot go at once (a worker sends it later), its row keeps the number until then."""
    worker_app = booted[1]
    client = app.test_client()
    walk(ussd_phone(client), ["1", NAME, "maharashtra", "nasik", "6", "99", "1"], "Zumbarlal")
    queued = []
    monkeypatch.setattr(app.extensions["kheti"], "tasks", Tasks(lambda name, args: queued.append((name, args))))
    at_sms(client, "DELETE", 4)
    at_sms(client, "YES", 5)  # its answer goes to a worker, which is busy
    with sessions() as db:
        notice = db.scalars(select(OutboundMessage).where(OutboundMessage.purpose == ERASURE_NOTICE)).one()
        assert (notice.phone, notice.status, queued[-1]) == (PHONE, "queued", (SEND_SMS, (notice.id,)))
    with sessions() as db, db.begin():
        assert forget_notified(db, [notice.id]) == forget_notified(db) == 0  # not gone yet: still needed
    worker_app.tasks[SEND_SMS](notice.id)  # the worker gets to it: sent, and the number forgotten with it
    with sessions() as db:
        sent = db.get(OutboundMessage, notice.id)
        assert (sent.status, sent.phone) == ("sent", "erased")
        assert mentions(db, [NAME]) == {}


def test_someone_never_registered_who_asks_for_deletion_leaves_nothing_either(app, sessions, backends):
    """Told "nothing is kept about you", that must be true: their questions and our answers lose number and words."""
    client = app.test_client()
    at_sms(client, AT_SMS, 1)
    twilio_sms(client, TWILIO_SMS)
    with sessions() as db:
        assert "inbound_messages" in mentions(db, [AT_SMS, TWILIO_SMS])  # the scan sees them before
        other = db.scalar(select(func.count()).select_from(InboundMessage))
    at_sms(client, "DELETE", 2)
    with sessions() as db:
        assert mentions(db, [AT_SMS, TWILIO_SMS]) == {}
        # Kept for the service's figures, without whose they were: the rows, not the words.
        assert db.scalar(select(func.count()).select_from(InboundMessage)) == other + 1
    assert {key for key, (texts, _) in in_redis(backends.redis, [AT_SMS]).items() if texts} == set()
