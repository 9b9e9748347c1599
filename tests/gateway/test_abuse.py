"""Abuse, as it arrived in the hardening tries: 300 SMS from one phone in nine seconds (299 replies were queued),
300 USSD dials from one phone, 600 refused requests from one address (all served). Each phone and each address
now has an allowance, shared through Redis; past it the provider still gets its 200, the farmer's message is kept,
nothing is sent back, and operators see the refusal in the log and on /metrics."""
from dataclasses import replace

import pytest
from sqlalchemy import select

from farmdb.models import Farmer, InboundMessage, OutboundMessage
from gateway import create_app
from tests.conftest import SEED_DAY
from tests.gateway.test_sms_inbound import at_sms

FARMER = "+919812345678"


@pytest.fixture
def app(settings, backends):
    app = create_app(replace(settings, sms_replies_per_hour=5, ussd_sessions_per_minute=3,
                             refused_requests_per_minute=10, at_webhook_token=None),
                     backends=backends, today=lambda: SEED_DAY)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def _limited(client, limit: str) -> float:
    for line in client.get("/metrics").get_data(as_text=True).splitlines():
        if line.startswith(f'kheti_limited_total{{limit="{limit}"}}'):
            return float(line.split()[-1])
    raise AssertionError(f"no kheti_limited_total for {limit}")


def test_a_flood_of_sms_from_one_phone_gets_its_allowance_of_replies(client, db, register_farmer, caplog):
    register_farmer(phone=FARMER, locale="en")
    answers = [at_sms(client, "onion price nashik", phone=FARMER) for _ in range(12)]
    assert [a.status_code for a in answers] == [200] * 12  # AT must not send them again
    db.rollback()
    kept = db.scalars(select(InboundMessage).where(InboundMessage.phone == FARMER)).all()
    assert len(kept) == 12  # nothing dropped
    assert [m.extra.get("limited") for m in kept].count("sms_replies") == 7
    replies = db.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "reply")).all()
    assert len(replies) == 5  # SMS_REPLIES_PER_HOUR=5: five at once, then one every twelve minutes
    assert _limited(client, "sms_replies") == 7
    assert "sms_replies limit reached for +91******5678" in caplog.text

    assert at_sms(client, "STOP", phone=FARMER).status_code == 200  # STOP is always answered, and honoured
    db.rollback()
    assert len(db.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "reply")).all()) == 6
    assert db.scalar(select(Farmer.sms_opted_out).where(Farmer.phone == FARMER)) is True


def test_another_phone_has_its_own_allowance(client, db):
    for _ in range(6):
        at_sms(client, "onion price nashik", phone=FARMER)
    at_sms(client, "onion price nashik", phone="+919822222222")
    db.rollback()
    other = db.scalar(select(InboundMessage).where(InboundMessage.phone == "+919822222222"))
    assert other.extra.get("limited") is None


def test_an_address_making_refused_requests_is_shut_out_for_a_minute(client):
    stranger = {"REMOTE_ADDR": "203.0.113.9"}
    tries = [("/twilio/sms", "POST")] * 4 + [("/wp-login.php", "GET")] * 3 + [("/africastalking/ussd", "GET")] * 3
    for path, method in tries:
        assert client.open(path, method=method, data={"Body": "x"}, environ_base=stranger).status_code in (
            400, 403, 404, 405)  # a bad signature, a path and a method that do not exist: all count
    refused = client.get("/console/login", environ_base=stranger)
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
    assert client.get("/api/v1/farmers", environ_base=stranger).status_code == 429
    assert client.get("/healthz", environ_base=stranger).status_code == 200  # probes are never limited
    assert _limited(client, "refused_requests") == 2
    # A provider's webhook carries its credential: never shut out, even from that address (a provider's few egress
    # addresses may be shared), only judged by its own check.
    signed = client.post("/twilio/sms", data={"Body": "x"}, headers={"X-Twilio-Signature": "forged"},
                         environ_base=stranger)
    assert signed.status_code in (400, 403)
    # Another address is served as before.
    assert at_sms(client, "onion price nashik").status_code == 200
    assert client.get("/console/login").status_code == 200


def test_a_phone_dialling_again_and_again_is_told_to_try_later(client, register_farmer, settings):
    from dialogs.texts import texts
    from simulator.ussd import UssdPhone
    register_farmer(phone=FARMER, locale="en")

    def post(form):
        response = client.post("/africastalking/ussd", data=form)
        return response.status_code, response.get_data(as_text=True)
    phone = UssdPhone(post=post, phone=FARMER)
    screens = [phone.dial() for _ in range(5)]
    assert all("Asha" in screen for screen in screens[:3])  # USSD_SESSIONS_PER_MINUTE=3
    assert screens[3:] == [texts(settings.default_locale, latin=True)("ussd.busy")] * 2 and phone.ended
    assert _limited(client, "ussd_sessions") == 2
    other = UssdPhone(post=post, phone="+919822222222")
    assert not other.dial().startswith(texts(settings.default_locale, latin=True)("ussd.busy"))


def test_a_farmer_over_the_limit_can_still_confirm_the_deletion_of_their_data(client, db, register_farmer):
    register_farmer(phone=FARMER, locale="en")
    for _ in range(6):
        at_sms(client, "onion price nashik", phone=FARMER)  # the allowance is spent
    at_sms(client, "DELETE", phone=FARMER)
    at_sms(client, "YES", phone=FARMER)
    db.rollback()
    assert db.scalar(select(Farmer).where(Farmer.phone == FARMER)) is None  # erased, as they asked
