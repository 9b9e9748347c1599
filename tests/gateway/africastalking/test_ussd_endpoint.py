"""POST /africastalking/ussd and /ussd/events as Africa's Talking calls them: recorded payloads, authentication,
bad input, repeated and racing hops, and a Redis outage."""
import threading
import time

import pytest
from sqlalchemy import func, select

from dialogs.texts import texts
from farmdb.models import ExpertRequest, Farmer, UssdSession
from gateway import create_app
from service.connections import Backends
from tests.conftest import SEED_DAY, unreachable_redis

# Hops as Africa's Talking posts them (form-encoded), with what must come back.
RECORDED_HOPS = [
    ({"sessionId": "ATUid_7f0e5d3c2b1a", "serviceCode": "*384*1234#", "phoneNumber": "+919812345670",
      "networkCode": "40445", "text": ""}, "CON Apni bhasha chunein:"),
    ({"sessionId": "ATUid_7f0e5d3c2b1b", "serviceCode": "*384*1234#", "phoneNumber": "+254711082000",
      "networkCode": "63902", "text": ""}, "CON Apni bhasha chunein:"),  # a Safaricom (Kenya) caller
    ({"sessionId": "ATUid_7f0e5d3c2b1c", "serviceCode": "*384*1234#", "phoneNumber": "919812345671",
      "text": ""}, "CON "),  # no '+', no networkCode: still served
]


@pytest.mark.parametrize("form, expected", RECORDED_HOPS)
def test_recorded_first_hops(client, form, expected):
    response = client.post("/africastalking/ussd", data=form)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True).startswith(expected)


@pytest.mark.parametrize("missing", ["sessionId", "serviceCode", "phoneNumber"])
def test_a_missing_field_is_a_400_naming_it(client, missing):
    form = dict(RECORDED_HOPS[0][0])
    del form[missing]
    response = client.post("/africastalking/ussd", data=form)
    assert response.status_code == 400 and response.json["message"] == f"missing form field: {missing}"


@pytest.mark.parametrize("number", ["12345", "+91 000", "abc", ""])
def test_an_unusable_phone_number_ends_politely(client, number, caplog):
    form = {**RECORDED_HOPS[0][0], "phoneNumber": number}
    body = client.post("/africastalking/ussd", data=form).get_data(as_text=True)
    assert body == "END " + texts("hi", True)("ussd.bad_phone")
    assert any("unusable phone number" in r.getMessage() for r in caplog.records)


def test_the_token_is_required_when_configured(settings, backends):
    from dataclasses import replace
    app = create_app(replace(settings, at_webhook_token="s3cret-t0ken"), backends=backends)
    client = app.test_client()
    form = RECORDED_HOPS[0][0]
    for url in ["/africastalking/ussd", "/africastalking/ussd?token=wrong", "/africastalking/ussd?token="]:
        response = client.post(url, data=form)
        assert response.status_code == 403 and response.json["message"] == "missing or wrong token"
    assert backends.redis.keys("ussd:*") == []  # refused before anything was read or stored
    assert client.post("/africastalking/ussd?token=s3cret-t0ken", data=form).status_code == 200
    events = client.post("/africastalking/ussd/events", data={"sessionId": "x", "status": "Success"})
    assert events.status_code == 403


@pytest.fixture
def farmer(register_farmer):
    return register_farmer(locale="en")


@pytest.mark.parametrize("typed, hint", [
    ("9", "error.invalid_option"),
    ("*", "error.invalid_option"),
    ("🌾", "error.invalid_option"),
    ("x" * 200, "error.too_long"),
    ("1; DROP TABLE farmers;--", "error.invalid_option"),
    ("98", "error.invalid_option"),  # "More" where there is no more
    ("0", "error.invalid_option"),  # "Back" where there is no back
])
def test_bad_input_on_a_menu_reprompts_the_same_screen_with_a_hint(ussd, farmer, typed, hint, db):
    T = texts("en", latin=True)
    phone = ussd()
    menu = phone.dial()
    screen = phone.press(typed)
    assert screen == T(hint) + "\n" + menu
    assert db.scalar(select(func.count()).select_from(Farmer)) == 1


def test_an_empty_answer_asks_again(ussd, farmer):
    """After the first hop AT sends "2*" for an empty answer (on the first, "" is a repeat of the dial)."""
    phone = ussd()
    phone.dial()
    crops = phone.press("2")
    again = phone.press("")
    assert again.startswith(texts("en", True)("error.empty") + "\n" + crops.splitlines()[0] + "\n1 Soybean")


@pytest.mark.parametrize("typed", ["R", "🌾🌾🌾", "1; DROP TABLE farmers;--", "Ram*esh", "x" * 41])
def test_bad_names_reprompt(ussd, typed):
    T = texts("en", latin=True)
    phone = ussd("+919812300010")
    phone.dial()
    phone.press("1")
    assert phone.press(typed).startswith(T("error.name") + "\n" + T("reg.name.prompt"))


def test_a_star_inside_an_answer_is_kept(ussd, register_farmer, db):
    register_farmer()
    phone = ussd()
    for press in ["", "4", "1", "7"]:
        phone.dial() if press == "" else phone.press(press)
    phone.press("white *spots* on leaves")
    [request] = db.scalars(select(ExpertRequest)).all()
    assert request.description == "white *spots* on leaves"


def test_control_characters_never_reach_the_database(ussd, register_farmer, db):
    register_farmer()
    phone = ussd()
    for press in ["", "4", "1", "7"]:
        phone.dial() if press == "" else phone.press(press)
    phone.press("white\x00 spots\x1b on\nleaves")  # PostgreSQL refuses NUL in text
    [request] = db.scalars(select(ExpertRequest)).all()
    assert request.description == "white spots on leaves"


def test_a_repeated_hop_gets_the_same_answer_and_repeats_no_effect(ussd, farmer, db):
    phone = ussd()
    phone.dial()
    phone.press("5")
    first = phone.press("1")  # request a call-back: creates a ticket
    again = phone.resend()
    assert again == first and phone.ended
    assert db.scalar(select(func.count()).select_from(ExpertRequest)) == 1


def test_a_late_copy_of_an_earlier_hop_changes_nothing(ussd, farmer):
    phone = ussd()
    phone.dial()
    phone.press("2")
    now = phone.press("1")
    phone.inputs.pop()
    assert phone.resend() == now  # "2" arriving again after "2*1": answered with where we are


def test_an_unknown_session_mid_history_starts_afresh(ussd, farmer):
    phone = ussd()
    phone.inputs = ["3", "1"]  # AT claims history we never saw
    assert phone.press("2").startswith("Namaste Asha!")


def test_racing_hops_of_one_session_are_serialised(app, farmer, db):
    """Two copies of the same hop (an operator retry crossing the original) arrive at once, on two gateway
    threads: one creates the request, the other must see it and answer the same, creating nothing."""
    form = {"sessionId": "ATUid_race", "serviceCode": "*384*1234#", "phoneNumber": "+919812345678",
            "networkCode": "40445"}
    client = app.test_client()
    client.post("/africastalking/ussd", data={**form, "text": ""})
    client.post("/africastalking/ussd", data={**form, "text": "5"})
    answers, barrier = [], threading.Barrier(4)

    def confirm():
        barrier.wait()
        answers.append(app.test_client().post("/africastalking/ussd", data={**form, "text": "5*1"})
                       .get_data(as_text=True))

    threads = [threading.Thread(target=confirm) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(answers) == 4 and len(set(answers)) == 1 and answers[0].startswith("END ")
    assert db.scalar(select(func.count()).select_from(ExpertRequest)) == 1


def test_when_redis_is_down_the_hop_ends_politely_within_a_second(settings, engine, sessions, reads):
    app = create_app(settings, backends=Backends(engine=engine, sessions=sessions, reads=reads,
                                                      redis=unreachable_redis()),
                     today=lambda: SEED_DAY)
    client = app.test_client()
    started = time.perf_counter()
    response = client.post("/africastalking/ussd", data=RECORDED_HOPS[0][0])
    assert time.perf_counter() - started < 1.0
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "END " + texts("hi", True)("ussd.busy")
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["failing"] == ["redis"]


END_OF_SESSION = {
    "date": "2026-07-15 10:21:33", "sessionId": "ATUid_4d0d9e1b", "serviceCode": "*384*1234#",
    "networkCode": "40445", "phoneNumber": "+919812345678", "status": "Incomplete", "cost": "INR 0.0000",
    "durationInMillis": "41200", "hopsCount": "5", "input": "4*2", "lastAppResponse": "CON What do you see?",
    "errorMessage": "",
}


def test_the_end_of_session_notification_is_logged_once(client, db, register_farmer):
    register_farmer()
    for _ in range(3):  # AT retries until it gets a 200
        assert client.post("/africastalking/ussd/events", data=END_OF_SESSION).status_code == 200
    [row] = db.scalars(select(UssdSession)).all()
    assert (row.session_id, row.phone, row.status, row.duration_ms, row.hops, row.last_screen, row.error) == \
        ("ATUid_4d0d9e1b", "+919812345678", "Incomplete", 41200, 5, "CON What do you see?", None)
    assert (row.network_code, row.cost, row.input) == ("40445", "INR 0.0000", "4*2")


def test_a_stranger_s_session_is_logged_masked_and_without_what_they_typed(client, db):
    form = {**END_OF_SESSION, "phoneNumber": "+919812300099", "sessionId": "ATUid_stranger",
            "input": "1*Ramesh Patil*21", "lastAppResponse": "CON Which crops do you grow?"}
    assert client.post("/africastalking/ussd/events", data=form).status_code == 200
    row = db.scalar(select(UssdSession).where(UssdSession.session_id == "ATUid_stranger"))
    assert (row.phone, row.input, row.last_screen, row.status) == ("+91******0099", None, None, "Incomplete")


def test_a_failed_session_keeps_its_error(client, db, caplog):
    form = {**END_OF_SESSION, "sessionId": "ATUid_f", "status": "Failed", "errorMessage": "Timeout",
            "durationInMillis": "", "hopsCount": "1"}
    assert client.post("/africastalking/ussd/events", data=form).status_code == 200
    row = db.scalar(select(UssdSession).where(UssdSession.session_id == "ATUid_f"))
    assert (row.status, row.error, row.duration_ms) == ("Failed", "Timeout", None)
    assert any("failed at the provider" in r.getMessage() for r in caplog.records)


def test_the_end_of_session_notification_needs_its_fields(client):
    response = client.post("/africastalking/ussd/events", data={"sessionId": "x"})
    assert response.status_code == 400 and response.json["message"] == "missing form field: status"


def test_a_late_hop_of_an_earlier_session_does_not_overwrite_the_live_one(ussd, farmer):
    phone = ussd()
    phone.dial()
    phone.press("4")
    old_session, old_inputs = phone.session_id, list(phone.inputs)
    phone.press("1")  # onion chosen: a form half done
    live = phone.dial()  # the call dropped; the farmer dials again
    assert live.startswith(texts("en", True)("resume.title"))
    late = phone.post({"sessionId": old_session, "serviceCode": "*384*123#", "phoneNumber": phone.phone,
                       "networkCode": "40410", "text": "*".join(old_inputs + ["1"])})
    assert late == (200, "END " + texts("en", True)("ussd.expired"))
    assert phone.press("1").startswith(texts("en", True)("pest.symptom.title"))  # the live session carries on


def test_a_hint_on_a_later_page_is_shown_with_the_first_page(ussd):
    phone = ussd("+919812300011")
    phone.dial()
    phone.press("1")
    phone.press("Ravi")
    phone.press("98")  # states, page 2
    screen = phone.press("77")
    assert screen.startswith(texts("en", True)("error.invalid_option") + "\n") and "1 Andaman" in screen


def test_when_the_database_is_down_the_hop_ends_politely(settings, redis_client):
    from farmdb.db import make_engine, make_sessionmaker
    down = make_engine("postgresql://postgres@127.0.0.1:1/nowhere")  # nothing listens there: refused at once
    app = create_app(settings, backends=Backends(engine=down, sessions=make_sessionmaker(down), redis=redis_client),
                     today=lambda: SEED_DAY)
    started = time.perf_counter()
    response = app.test_client().post("/africastalking/ussd", data=RECORDED_HOPS[0][0])
    assert time.perf_counter() - started < 5.0
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "END " + texts("hi", True)("ussd.busy")
