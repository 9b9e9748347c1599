"""Plivo's outbound side against its HTTP API: the real SDK code runs and `responses` answers for Plivo, so the exact
JSON each request carries is checked: the DLT entity, template and category on every message to India, the status
callback, numbers as Plivo writes them, and every failure classified as retryable or permanent."""
import base64
import json
from dataclasses import replace

import pytest
import requests
import responses

from service.providers import PermanentSendError, Receipt, RetryableSendError, provider_for
from service.providers import plivo as plivo_sender
from service.providers.base import Outgoing
from service.settings import Settings, SettingsError

AUTH_ID, TOKEN = "MAODUZYTQ0Y2FMYJBLOW", "plivo-test-token"
MESSAGE_URL = f"https://api.plivo.com/v1/Account/{AUTH_ID}/Message/"
CALL_URL = f"https://api.plivo.com/v1/Account/{AUTH_ID}/Call/"
PHONE = "+919812345678"
BODY = "Kal barish ho sakti hai. Chhidkav na karein."
UUID = "db3ce55a-7f1d-11e1-8ea7-1231380bc196"
PUBLIC = "https://sms.example.org"


@pytest.fixture
def settings():
    return Settings.from_env({}, sms_provider="plivo", plivo_auth_id=AUTH_ID, plivo_auth_token=TOKEN,
                             plivo_from="KHETIS", plivo_voice_number="+918045678900", dlt_entity_id="1101000000001",
                             public_base_url=PUBLIC)


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


def sender(settings):
    return provider_for(settings, "plivo")


def outgoing(**kw) -> Outgoing:
    fields = dict(id=7, phone=PHONE, body=BODY, encoding="GSM-7", segments=1, category="service_explicit",
                  purpose="advisory", template_id="1107160000000012345", dlt_entity_id="1101000000042", attempts=1)
    return Outgoing(**{**fields, **kw})


def queued(uuids=(UUID,)):
    return {"api_id": "984bc856-9231-11e7-b886-067c5485c240", "message": "message(s) queued",
            "message_uuid": list(uuids)}


def sent_json(call) -> dict:
    return json.loads(call.request.body)


_OURS = {"src", "dst", "text", "type", "url", "method", "dlt_entity_id", "dlt_template_id", "dlt_template_category"}


def test_a_message_to_india_carries_its_dlt_entity_template_and_category(settings, mocked):
    mocked.post(MESSAGE_URL, json=queued(), status=202)
    receipt = sender(settings).send(outgoing())
    assert receipt == Receipt(provider="plivo", provider_message_id=UUID, status="queued", provider_status="queued")
    [call] = mocked.calls
    assert call.request.url == MESSAGE_URL
    assert call.request.headers["Authorization"] == "Basic " + base64.b64encode(f"{AUTH_ID}:{TOKEN}".encode()).decode()
    body = sent_json(call)
    assert {key: body[key] for key in _OURS} == {
        "src": "KHETIS", "dst": "919812345678", "text": BODY, "type": "sms", "url": f"{PUBLIC}/plivo/sms/status",
        "method": "POST", "dlt_entity_id": "1101000000042", "dlt_template_id": "1107160000000012345",
        "dlt_template_category": "service_explicit"}
    assert not {key for key, value in body.items() if key not in _OURS and value not in (None, False, "true")}
    assert call.request.req_kwargs["timeout"] == plivo_sender.TIMEOUT_S


def test_the_entity_id_comes_from_the_settings_when_the_template_row_names_none(settings, mocked):
    mocked.post(MESSAGE_URL, json=queued(), status=202)
    sender(settings).send(outgoing(dlt_entity_id=None, category="service_implicit"))
    body = sent_json(mocked.calls[0])
    assert (body["dlt_entity_id"], body["dlt_template_category"]) == ("1101000000001", "service_implicit")


def test_a_template_with_no_entity_anywhere_is_refused_before_any_request(settings, mocked):
    mocked.assert_all_requests_are_fired = False
    with pytest.raises(PermanentSendError, match="DLT_ENTITY_ID must be set"):
        sender(replace(settings, dlt_entity_id=None)).send(outgoing(dlt_entity_id=None))
    assert not mocked.calls


def test_a_message_outside_india_carries_no_dlt_fields_and_no_callback_without_a_public_url(settings, mocked):
    mocked.post(MESSAGE_URL, json=queued(), status=202)
    sender(replace(settings, public_base_url=None, plivo_from="+14155550100")).send(
        outgoing(phone="+254711000111", template_id=None, dlt_entity_id=None))
    body = sent_json(mocked.calls[0])
    assert (body["src"], body["dst"]) == ("14155550100", "254711000111")
    assert not {"url", "dlt_entity_id", "dlt_template_id", "dlt_template_category"} & {
        k for k, v in body.items() if v is not None}


def test_the_dlt_header_is_the_alphanumeric_sender_only(settings):
    assert sender(settings).dlt_header == "KHETIS"
    assert sender(replace(settings, plivo_from="+918045678900")).dlt_header is None


@pytest.mark.parametrize("status, body, error, reason", [
    (400, {"error": "invalid dst number"}, PermanentSendError, "ValidationError: invalid dst number"),
    (401, {"error": "authentication failed"}, PermanentSendError, "AuthenticationError"),
    (403, {"error": "geo permission denied"}, PermanentSendError, "GeoPermissionError"),
    (404, {"error": "not found"}, PermanentSendError, "ResourceNotFoundError"),
    (429, {"error": "too many requests"}, RetryableSendError, "HTTP 429"),
    (500, {"error": "internal error"}, RetryableSendError, "server error"),
    (502, "<html>bad gateway</html>", RetryableSendError, "HTTP 502"),
    (503, {"error": "unavailable"}, RetryableSendError, "HTTP 503"),
])
def test_plivo_errors_are_classified_by_status(settings, mocked, status, body, error, reason):
    mocked.post(MESSAGE_URL, **({"json": body} if isinstance(body, dict) else {"body": body}), status=status)
    with pytest.raises(error) as caught:
        sender(settings).send(outgoing())
    assert reason in caught.value.reason


@pytest.mark.parametrize("failure", [requests.ConnectTimeout("connect timed out"),
                                     requests.ReadTimeout("read timed out"),
                                     requests.ConnectionError("connection reset")])
def test_timeouts_and_connection_errors_are_retryable(settings, mocked, failure):
    mocked.post(MESSAGE_URL, body=failure)
    with pytest.raises(RetryableSendError, match="Plivo (timed out|unreachable)"):
        sender(settings).send(outgoing())


def test_an_answer_with_no_message_uuid_is_a_permanent_failure(settings, mocked):
    mocked.post(MESSAGE_URL, json={"api_id": "x", "message": "message(s) queued", "message_uuid": [],
                                   "invalid_number": ["919812345678"]}, status=202)
    with pytest.raises(PermanentSendError, match="invalid number"):
        sender(settings).send(outgoing())


def test_a_call_back_rings_the_farmer_with_our_reference_in_the_answer_and_hangup_urls(settings, mocked):
    mocked.post(CALL_URL, json={"api_id": "x", "message": "call fired", "request_uuid": "9834029e-58b6"}, status=201)
    placed = sender(settings).place_call(PHONE, "+912071234567")
    body = sent_json(mocked.calls[0])
    assert (body["from"], body["to"], body["ring_timeout"]) == ("912071234567", "919812345678", plivo_sender.RING_S)
    assert body["answer_url"] == f"{PUBLIC}/plivo/voice?call={placed.call_id}&kind=callback"
    assert body["hangup_url"] == f"{PUBLIC}/plivo/voice/status?call={placed.call_id}&kind=callback"
    assert (body["answer_method"], body["hangup_method"], placed.line) == ("POST", "POST", "+912071234567")
    assert len(placed.call_id) == 36 and placed.call_id != "9834029e-58b6"


def test_the_expert_desk_bridge_rings_the_agronomist_from_our_voice_number(settings, mocked):
    mocked.post(CALL_URL, json={"api_id": "x", "message": "call fired", "request_uuid": "r-1"}, status=201)
    placed = sender(settings).bridge("+919822000111", PHONE)
    body = sent_json(mocked.calls[0])
    assert (body["from"], body["to"], placed.line) == ("918045678900", "919822000111", "+918045678900")
    assert "919812345678" not in json.dumps(body)  # the farmer is dialled only when the agronomist answers


@pytest.mark.parametrize("changes, problem", [
    (dict(public_base_url=None), "PUBLIC_BASE_URL"),
    (dict(plivo_voice_number=None), "PLIVO_VOICE_NUMBER"),
])
def test_a_bridge_that_cannot_work_is_refused_without_a_request(settings, mocked, changes, problem):
    mocked.assert_all_requests_are_fired = False
    with pytest.raises(PermanentSendError, match=problem):
        sender(replace(settings, **changes)).bridge("+919822000111", PHONE)


@pytest.mark.parametrize("environ, problem", [
    ({"SMS_PROVIDER": "plivo"}, "PLIVO_AUTH_ID: must be set when SMS_PROVIDER=plivo"),
    ({"SMS_PROVIDER": "plivo", "PLIVO_AUTH_ID": AUTH_ID, "PLIVO_AUTH_TOKEN": "t"},
     "PLIVO_FROM: must be set when SMS_PROVIDER=plivo"),
    ({"PLIVO_AUTH_ID": "AC123"}, "PLIVO_AUTH_ID: 'AC123' is not a Plivo auth id"),
    ({"PROVIDER_ROUTES": "+91=plivo"}, "PLIVO_AUTH_ID: must be set when PROVIDER_ROUTES sends +91 by plivo"),
])
def test_an_unusable_plivo_configuration_stops_start_up_with_its_reason(environ, problem):
    with pytest.raises(SettingsError, match=problem.replace("+", r"\+")):
        Settings.from_env(environ)
