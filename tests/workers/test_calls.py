"""The call-back task of the missed-call line, with the real Twilio and Africa's Talking SDKs answered by `responses`:
the exact request each provider gets, the call-back's row, one call per number per period, and what a provider's
failure does (retried in a worker, released in-process, never retried when it cannot succeed)."""
from __future__ import annotations

import base64
import json
import logging
from urllib.parse import parse_qs

import pytest
import requests
import responses
from celery.exceptions import Retry
from sqlalchemy import select

from farmdb.farmers import erase
from farmdb.models import CallLog, Farmer
from service.providers.twilio import RING_S
from tests.conftest import TaskNames, in_worker
from workers.calls import MAX_RETRIES

PHONE = "+919812345678"
OTHER = "+919822000111"
TWILIO_LINE = "+912071234567"  # the missed-call number the farmer rang, a Twilio number
AT_LINE = "+254711082300"  # AT_VOICE_NUMBER
SID, TOKEN = "AC" + "1" * 32, "twilio-test-token"
PUBLIC = "https://calls.example.org"
TWILIO_URL = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Calls.json"
AT_URL = "https://voice.sandbox.africastalking.com/call"
AT_LIVE_URL = "https://voice.africastalking.com/call"
CALL_SID = "CA" + "a" * 32
SESSION = "ATVId_5f2f1e5b7c0d4a3e9b8a"


PLIVO_ID = "MA" + "C" * 18
PLIVO_URL = f"https://api.plivo.com/v1/Account/{PLIVO_ID}/Call/"
PLIVO_LINE = "+918045671234"  # a Plivo missed-call number


BOTH_PROVIDERS = dict(twilio_account_sid=SID, twilio_auth_token=TOKEN, public_base_url=PUBLIC, at_username="sandbox",
                      at_api_key="atsk_test", at_voice_number=AT_LINE, callback_period=3600,
                      plivo_auth_id=PLIVO_ID, plivo_auth_token="plivo-token")


@pytest.fixture
def booted(make_service):
    """Tasks run in-process with both providers' credentials."""
    return make_service(**BOTH_PROVIDERS)


@pytest.fixture
def call_back(tasks):
    return tasks.call_back


@pytest.fixture
def with_settings(make_service):
    """The call-back task of a Service whose settings differ: `call_back = with_settings(callback_period=120)`."""
    def make(**changes):
        return TaskNames(make_service(**{**BOTH_PROVIDERS, **changes})[1]).call_back
    return make


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def twilio_call(status="queued", sid=CALL_SID):
    """Twilio's answer to POST .../Calls.json (abridged)."""
    return {"sid": sid, "account_sid": SID, "to": PHONE, "from": TWILIO_LINE, "status": status,
            "direction": "outbound-api", "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{SID}/Calls/{sid}.json"}


def at_call(status="Queued", session=SESSION, error="None", phone=PHONE):
    return {"entries": [{"phoneNumber": phone, "status": status, "sessionId": session}], "errorMessage": error}


def ring(sessions, provider="twilio", phone=PHONE, line=None, call_id=None, farmer_id=None) -> int:
    """A missed call as service.missed_calls logs it (without queueing the task: the tests run it)."""
    ring.n = getattr(ring, "n", 0) + 1
    line = line or (TWILIO_LINE if provider == "twilio" else AT_LINE)
    with sessions() as db, db.begin():
        row = CallLog(provider=provider, call_id=call_id or f"ring-{ring.n}", kind="missed_call", direction="inbound",
                      phone=phone, line=line, farmer_id=farmer_id, status="rejected")
        db.add(row)
        db.flush()
        return row.id


def callbacks(sessions) -> list[CallLog]:
    with sessions() as db:
        return db.scalars(select(CallLog).where(CallLog.kind == "callback").order_by(CallLog.id)).all()


def form(call) -> dict[str, list[str]]:
    return parse_qs(call.request.body if isinstance(call.request.body, str) else call.request.body.decode())


# --- placing the call -----------------------------------------------------------------------------------------------

def test_twilio_calls_back_from_the_number_rung_with_the_ivr_and_status_urls(sessions, api, register_farmer,
                                                                              redis_client, call_back):
    api.post(TWILIO_URL, json=twilio_call(), status=201)
    farmer_id = register_farmer(phone=PHONE)
    assert call_back(ring(sessions, farmer_id=farmer_id)) == "queued"

    [call] = api.calls
    assert call.request.url == TWILIO_URL and call.request.method == "POST"
    assert call.request.headers["Authorization"] == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert form(call) == {
        "To": [PHONE], "From": [TWILIO_LINE], "Url": [f"{PUBLIC}/twilio/voice"], "Method": ["POST"],
        "StatusCallback": [f"{PUBLIC}/twilio/voice/status"], "StatusCallbackMethod": ["POST"],
        "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"], "Timeout": [str(RING_S)]}
    assert call.request.req_kwargs["timeout"] == 10  # bounded: the SDK's default waits for ever

    [row] = callbacks(sessions)
    assert (row.provider, row.call_id, row.direction, row.phone, row.line, row.farmer_id, row.status) == \
        ("twilio", CALL_SID, "outbound", PHONE, TWILIO_LINE, farmer_id, "queued")
    assert redis_client.ttl(f"callback:{PHONE}") > 3590


def test_africas_talking_calls_back_from_its_voice_number_and_keeps_the_session_id(sessions, api, redis_client, call_back):
    api.post(AT_URL, json=at_call(), status=201)
    assert call_back(ring(sessions, "africastalking")) == "queued"

    [call] = api.calls
    assert call.request.url == AT_URL
    assert call.request.headers["apiKey"] == "atsk_test" and call.request.headers["Accept"] == "application/json"
    assert form(call) == {"username": ["sandbox"], "from": [AT_LINE], "to": [PHONE]}
    assert call.request.req_kwargs["timeout"] == (3.05, 10.0)
    [row] = callbacks(sessions)
    # AT posts the voice webhook with this sessionId once the farmer answers: the row is how it knows the call.
    assert (row.provider, row.call_id, row.direction, row.phone, row.line, row.farmer_id, row.status) == \
        ("africastalking", SESSION, "outbound", PHONE, AT_LINE, None, "queued")


def test_plivo_calls_back_from_the_number_rung_and_logs_the_call_by_our_reference(sessions, api, register_farmer,
                                                                                  call_back):
    api.post(PLIVO_URL, json={"api_id": "a1", "message": "call fired", "request_uuid": "9834029e"}, status=201)
    farmer_id = register_farmer(phone=PHONE)
    assert call_back(ring(sessions, "plivo", line=PLIVO_LINE, farmer_id=farmer_id)) == "queued"
    [call] = api.calls
    assert call.request.headers["Authorization"] == \
        "Basic " + base64.b64encode(f"{PLIVO_ID}:plivo-token".encode()).decode()
    sent = json.loads(call.request.body)
    assert (sent["from"], sent["to"], sent["answer_method"], sent["hangup_method"]) == \
        ("918045671234", "919812345678", "POST", "POST")
    [row] = callbacks(sessions)
    # Plivo's webhooks name the call by a uuid its API does not return: our reference in their URLs ties them to it.
    assert sent["answer_url"] == f"{PUBLIC}/plivo/voice?call={row.call_id}&kind=callback"
    assert sent["hangup_url"] == f"{PUBLIC}/plivo/voice/status?call={row.call_id}&kind=callback"
    assert (row.provider, row.direction, row.phone, row.line, row.farmer_id, row.status) == \
        ("plivo", "outbound", PHONE, PLIVO_LINE, farmer_id, "queued")


def test_africas_talking_live_account_calls_the_live_api(sessions, api, with_settings):
    call_back = with_settings(at_username="khetisahayak")
    api.post(AT_LIVE_URL, json=at_call(), status=201)
    assert call_back(ring(sessions, "africastalking")) == "queued"
    assert [c.request.url for c in api.calls] == [AT_LIVE_URL]
    assert form(api.calls[0])["username"] == ["khetisahayak"]


def test_an_answer_in_text_is_read_too(sessions, api, call_back):
    api.post(AT_URL, body='{"entries": [{"phoneNumber": "%s", "status": "Queued", "sessionId": "%s"}], '
                          '"errorMessage": "None"}' % (PHONE, SESSION), status=200, content_type="text/plain")
    assert call_back(ring(sessions, "africastalking")) == "queued"
    assert [r.call_id for r in callbacks(sessions)] == [SESSION]


def test_a_farmer_who_withdrew_consent_is_still_called_back(sessions, api, register_farmer, call_back):
    """They asked, by ringing; consent covers advisories we push, not the call they asked for."""
    farmer_id = register_farmer(phone=PHONE)
    with sessions() as db, db.begin():
        farmer = db.get(Farmer, farmer_id)
        db.add(farmer.withdraw_consent("sms", "reg.consent.notice"))
    with sessions() as db:
        assert not db.get(Farmer, farmer_id).has_consent
    api.post(TWILIO_URL, json=twilio_call(), status=201)
    assert call_back(ring(sessions, farmer_id=farmer_id)) == "queued"
    assert len(api.calls) == 1


def test_a_caller_erased_between_the_ring_and_the_call_back_is_not_called(sessions, api, register_farmer, call_back):
    farmer_id = register_farmer(phone=PHONE)
    ring_id = ring(sessions, farmer_id=farmer_id)
    with sessions() as db, db.begin():
        erase(db, db.get(Farmer, farmer_id), channel="sms", notice="sms.delete.confirm")
    assert call_back(ring_id) == "erased"
    assert len(api.calls) == 0  # nobody dialled: not the provider, and not a number called "erased"


def test_a_ring_we_have_no_log_of_calls_nobody(sessions, api, call_back):
    assert call_back(987654) == "missing"
    assert len(api.calls) == 0


# --- once per number per period -------------------------------------------------------------------------------------

def test_a_number_that_rings_again_within_the_period_is_called_once(sessions, api, redis_client, call_back):
    api.post(TWILIO_URL, json=twilio_call(), status=201)
    results = [call_back(ring(sessions)) for _ in range(5)]
    assert results == ["queued"] + ["skipped"] * 4
    assert len(api.calls) == 1 and len(callbacks(sessions)) == 1
    # another farmer is not held up by the first
    api.replace(responses.POST, TWILIO_URL, json=twilio_call(sid="CA" + "b" * 32), status=201)
    assert call_back(ring(sessions, phone=OTHER)) == "queued"
    assert [form(c)["To"] for c in api.calls] == [[PHONE], [OTHER]]


def test_the_period_is_shared_across_providers_and_configurable(sessions, api, with_settings, redis_client):
    call_back = with_settings(callback_period=120)
    api.post(TWILIO_URL, json=twilio_call(), status=201)
    api.post(AT_URL, json=at_call(), status=201)
    assert call_back(ring(sessions, "twilio")) == "queued"
    assert call_back(ring(sessions, "africastalking")) == "skipped"
    assert 110 < redis_client.ttl(f"callback:{PHONE}") <= 120


def test_after_the_period_the_number_is_called_back_again(sessions, api, redis_client, call_back):
    api.post(TWILIO_URL, json=twilio_call(), status=201)
    assert call_back(ring(sessions)) == "queued"
    redis_client.delete(f"callback:{PHONE}")  # what the key's expiry does once CALLBACK_PERIOD has passed
    api.replace(responses.POST, TWILIO_URL, json=twilio_call(sid="CA" + "c" * 32), status=201)
    assert call_back(ring(sessions)) == "queued"
    assert [r.call_id for r in callbacks(sessions)] == [CALL_SID, "CA" + "c" * 32]


# --- the provider fails ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("provider, url, answer", [
    ("twilio", TWILIO_URL, dict(json={"code": 20500, "message": "Internal Server Error", "status": 500}, status=500)),
    ("twilio", TWILIO_URL, dict(json={"code": 20429, "message": "Too Many Requests", "status": 429}, status=429)),
    ("twilio", TWILIO_URL, dict(body=requests.ConnectTimeout("connect timed out"))),
    ("twilio", TWILIO_URL, dict(body=requests.ConnectionError("connection refused"))),
    ("africastalking", AT_URL, dict(body="Service Unavailable", status=503)),
    ("africastalking", AT_URL, dict(body=requests.ReadTimeout("read timed out"))),
])
def test_a_provider_down_in_process_is_logged_and_the_number_released(sessions, api, redis_client, caplog,
                                                                      provider, url, answer, call_back):
    api.post(url, **answer)
    with caplog.at_level(logging.ERROR, logger="workers.calls"):
        assert call_back(ring(sessions, provider)) == "failed"
    assert len(api.calls) == 1  # not retried in-process
    assert callbacks(sessions) == []
    assert redis_client.get(f"callback:{PHONE}") is None  # the farmer's next ring can try again
    assert "call-back not placed" in caplog.text and PHONE not in caplog.text


@pytest.mark.parametrize("provider, url, answer, reason", [
    ("twilio", TWILIO_URL, dict(json={"code": 21211, "message": f"Invalid 'To' Phone Number: {PHONE}",
                                      "status": 400}, status=400), "Twilio HTTP 400 code 21211: invalid To number"),
    ("twilio", TWILIO_URL, dict(json={"code": 20003, "message": "Authenticate", "status": 401}, status=401),
     "Twilio HTTP 401 code 20003: Unable to create record: Authenticate"),
    ("africastalking", AT_URL, dict(body="The supplied authentication is invalid", status=401),
     "Africa's Talking HTTP 401: The supplied authentication is invalid"),
    ("africastalking", AT_URL, dict(json=at_call("InvalidPhoneNumber", "None"), status=201),
     "Africa's Talking placed no call: InvalidPhoneNumber"),
    ("africastalking", AT_URL, dict(json={"entries": [], "errorMessage": "Invalid callerId: " + AT_LINE},
                                    status=200), "Africa's Talking placed no call: Invalid callerId: +254*****2300"),
])
def test_a_permanent_refusal_is_logged_and_not_retried(sessions, api, redis_client, caplog, provider, url, answer,
                                                       reason, call_back):
    api.post(url, **answer)
    with caplog.at_level(logging.ERROR, logger="workers.calls"):
        assert call_back(ring(sessions, provider)) == "failed"
    assert len(api.calls) == 1 and callbacks(sessions) == []
    assert redis_client.get(f"callback:{PHONE}") is None
    assert reason in caplog.text


@pytest.mark.parametrize("provider, missing, setting", [
    ("twilio", dict(public_base_url=None), "PUBLIC_BASE_URL must be set to call back over twilio"),
    ("twilio", dict(twilio_auth_token=None), "TWILIO_AUTH_TOKEN must be set to use twilio"),
    ("africastalking", dict(at_voice_number=None), "AT_VOICE_NUMBER must be set to call back over africastalking"),
    ("africastalking", dict(at_username=None, at_api_key=None),
     "AT_USERNAME and AT_API_KEY must be set to use africastalking"),
])
def test_a_missing_setting_fails_clearly_without_calling(sessions, api, with_settings, caplog, redis_client,
                                                         provider, missing, setting):
    call_back = with_settings(**missing)
    with caplog.at_level(logging.ERROR, logger="workers.calls"):
        assert call_back(ring(sessions, provider)) == "failed"
    assert len(api.calls) == 0 and setting in caplog.text
    assert redis_client.get(f"callback:{PHONE}") is None


def test_a_failed_ring_does_not_release_a_later_rings_claim(sessions, api, redis_client, call_back):
    """The claim is released only if it is still this ring's: another ring may hold it by now."""
    api.post(TWILIO_URL, json={"code": 20500, "message": "Internal Server Error", "status": 500}, status=500)
    redis_client.set(f"callback:{PHONE}", "999", ex=3600)
    assert call_back(ring(sessions)) == "skipped"
    assert len(api.calls) == 0 and redis_client.get(f"callback:{PHONE}") == b"999"


# --- in a worker: retried with backoff, then released ---------------------------------------------------------------

@pytest.fixture
def as_worker(call_back, monkeypatch):
    """Run the task as a worker would; `as_worker.scheduled` holds the retries it schedules."""
    return in_worker(call_back, monkeypatch)


def test_a_worker_retries_a_provider_outage_later_and_keeps_the_number_claimed(sessions, api, as_worker, redis_client,
                                                                               monkeypatch):
    monkeypatch.setattr("workers.sending.random.uniform", lambda low, high: high)
    api.post(TWILIO_URL, json={"code": 20500, "message": "Internal Server Error", "status": 500}, status=500)
    ring_id = ring(sessions)
    with pytest.raises(Retry) as caught:
        as_worker(ring_id)
    assert caught.value.when == pytest.approx(12.0)  # about 10 s, +20% jitter here
    assert as_worker.scheduled[0]["countdown"] == pytest.approx(12.0)
    assert redis_client.get(f"callback:{PHONE}") == str(ring_id).encode()  # held while we try again

    # a second ring meanwhile is not called back on its own
    assert as_worker(ring(sessions)) == "skipped"

    # the retry finds its own claim and places the call
    api.replace(responses.POST, TWILIO_URL, json=twilio_call(), status=201)
    assert as_worker(ring_id, retries=1) == "queued"
    assert [r.call_id for r in callbacks(sessions)] == [CALL_SID]
    assert len(api.calls) == 2


def test_a_worker_gives_up_after_the_last_retry_and_releases_the_number(sessions, api, as_worker, redis_client):
    api.post(AT_URL, body="Service Unavailable", status=503)
    ring_id = ring(sessions, "africastalking")
    redis_client.set(f"callback:{PHONE}", str(ring_id), ex=3600)  # claimed by its first try
    assert as_worker(ring_id, retries=MAX_RETRIES) == "failed"
    assert as_worker.scheduled == []
    assert redis_client.get(f"callback:{PHONE}") is None


def test_a_worker_does_not_retry_a_permanent_refusal(sessions, api, as_worker, redis_client):
    api.post(TWILIO_URL, json={"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}, status=400)
    assert as_worker(ring(sessions)) == "failed"
    assert as_worker.scheduled == [] and len(api.calls) == 1
    assert redis_client.get(f"callback:{PHONE}") is None


def test_a_redelivered_first_try_does_not_ring_the_farmer_twice(sessions, api, as_worker):
    api.post(TWILIO_URL, json=twilio_call(), status=201)
    ring_id = ring(sessions)
    assert as_worker(ring_id) == "queued"
    assert as_worker(ring_id) == "skipped"  # the broker delivered it again (a worker lost before the ack)
    assert len(api.calls) == 1


def test_a_database_blip_after_the_call_is_placed_is_waited_out(sessions, api, monkeypatch, service, call_back):
    """The provider is ringing the farmer: the row must be written (AT's webhook looks for it), not the task retried
    (that would ring them twice)."""
    from sqlalchemy.exc import OperationalError

    api.post(AT_URL, json=at_call(), status=201)
    ring_id = ring(sessions, "africastalking")
    backends = service.backends
    real, failures = backends.sessions, []

    def flaky():
        if not failures and api.calls:
            failures.append(1)
            raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))
        return real()
    monkeypatch.setattr(backends, "sessions", flaky)
    monkeypatch.setattr(service.clock, "sleep", lambda seconds: None)  # the pause before trying again
    assert call_back(ring_id) == "queued"
    assert failures == [1] and len(api.calls) == 1
    assert [r.call_id for r in callbacks(sessions)] == [SESSION]


@responses.activate
def test_a_simulated_phone_is_never_called_back_even_when_the_sweeper_asks(sessions, call_back):
    """The console's phone rang the missed-call line: its ring is logged, and a call-back asked for later (the
    outbox sweeper's lost call-backs) places no call: nothing goes to the provider."""
    assert call_back(ring(sessions, phone="+919999900007")) == "simulated"
    assert len(responses.calls) == 0 and callbacks(sessions) == []
