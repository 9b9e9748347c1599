"""The providers' outbound side sending SMS against their HTTP APIs: the real SDK code runs, `responses` answers for
the provider. (Placing calls: tests/workers/test_calls.py.)"""
from dataclasses import replace
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import requests
import responses

from farmdb.models import OutboundMessage
from service.context import Service
from service.providers import PermanentSendError, Receipt, RetryableSendError, provider_for
from service.providers import africastalking as at_sender
from service.providers import twilio as twilio_sender
from service.providers.console import Console
from service.settings import Settings

PHONE = "+919812345678"
BODY = "Kal barish ho sakti hai. Chhidkav na karein."
AT_SANDBOX = "https://api.sandbox.africastalking.com/version1/messaging"
AT_LIVE = "https://api.africastalking.com/version1/messaging"
SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_URL = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
MESSAGE_SID = "SM0123456789abcdef0123456789abcdef"


@pytest.fixture
def base():
    return Settings.from_env({})


@pytest.fixture
def at_settings(base):
    return replace(base, sms_provider="africastalking", at_username="sandbox", at_api_key="atsk_test",
                   at_sender_id="KHETI")


@pytest.fixture
def twilio_settings(base):
    return replace(base, sms_provider="twilio", twilio_account_sid=SID, twilio_auth_token="token",
                   twilio_from="+15005550006", public_base_url="https://sms.example.org")


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


def _message(**kw) -> OutboundMessage:
    fields = dict(id=7, phone=PHONE, body=BODY, locale="hi", category="service_implicit", purpose="reply",
                  template_id="1107160000000012345", encoding="GSM-7", segments=1, status="sending", attempts=1)
    return OutboundMessage(**{**fields, **kw})


def _form(call) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


def _at_answer(code: int, status: str, cost="KES 0.8000", message_id="ATXid_1"):
    return {"SMSMessageData": {"Message": "Sent to 1/1 Total Cost: KES 0.8000", "Recipients": [
        {"statusCode": code, "number": PHONE, "status": status, "cost": cost, "messageId": message_id}]}}


# --- choosing a sender -----------------------------------------------------------------------------------------

def sender_for(settings):
    return provider_for(settings, settings.sms_provider)


def test_the_configured_sender_is_built_once_per_service(base, at_settings, twilio_settings, backends):
    assert isinstance(Service(base, backends).provider(), Console)
    service = Service(at_settings, backends)
    assert service.provider() is service.provider() is service.provider("africastalking")
    assert service.provider().name == at_sender.NAME == "africastalking"
    assert Service(twilio_settings, backends).provider().name == twilio_sender.NAME == "twilio"
    assert Service(at_settings, backends).provider() is not service.provider()  # each Service its own clients


# --- Africa's Talking -------------------------------------------------------------------------------------------

def test_africastalking_posts_the_form_the_api_documents(at_settings, mocked):
    mocked.post(AT_SANDBOX, json=_at_answer(101, "Success"), status=201)
    receipt = sender_for(at_settings).send(_message())
    assert receipt == Receipt(provider="africastalking", provider_message_id="ATXid_1", status="sent",
                              provider_status="Success", cost=Decimal("0.8000"), cost_currency="KES")
    [call] = mocked.calls
    assert call.request.method == "POST"
    assert _form(call) == {"username": "sandbox", "to": PHONE, "message": BODY, "bulkSMSMode": "1", "from": "KHETI"}
    assert call.request.headers["apiKey"] == "atsk_test"
    assert call.request.headers["Accept"] == "application/json"
    assert call.request.req_kwargs["timeout"] == at_sender.TIMEOUT_S  # ours, whatever the SDK passes


def test_africastalking_live_account_without_sender_id(at_settings, mocked):
    mocked.post(AT_LIVE, json=_at_answer(102, "Queued", cost="INR 0.2000", message_id="ATXid_2"), status=201)
    settings = replace(at_settings, at_username="kheti", at_sender_id=None)
    receipt = sender_for(settings).send(_message(body="प्याज का भाव ₹1,850"))
    assert (receipt.status, receipt.provider_status, receipt.provider_message_id) == ("queued", "Queued", "ATXid_2")
    assert (receipt.cost, receipt.cost_currency) == (Decimal("0.2000"), "INR")
    form = _form(mocked.calls[0])
    assert "from" not in form and form["username"] == "kheti" and form["message"] == "प्याज का भाव ₹1,850"


@pytest.mark.parametrize("code, status, error", [
    (100, "Processed", None),
    (101, "Success", None),
    (102, "Queued", None),
    (401, "RiskHold", PermanentSendError),
    (402, "InvalidSenderId", PermanentSendError),
    (403, "InvalidPhoneNumber", PermanentSendError),
    (405, "InsufficientBalance", PermanentSendError),
    (406, "UserInBlacklist", PermanentSendError),
    (407, "CouldNotRoute", PermanentSendError),
    (409, "DoNotDisturbRejection", PermanentSendError),
    (500, "InternalServerError", RetryableSendError),
    (501, "GatewayError", RetryableSendError),
    (502, "RejectedByGateway", RetryableSendError),
])
def test_africastalking_recipient_status_codes(at_settings, mocked, code, status, error):
    cost = "KES 0.8000" if error is None else "0"
    mocked.post(AT_SANDBOX, json=_at_answer(code, status, cost=cost, message_id="ATXid_3" if error is None else "None"),
                status=201)
    sender = sender_for(at_settings)
    if error is None:
        receipt = sender.send(_message())
        assert receipt.status == ("sent" if code == 101 else "queued")
        assert (receipt.provider, receipt.provider_status) == ("africastalking", status)
    else:
        with pytest.raises(error) as caught:
            sender.send(_message())
        assert caught.value.reason == f"{status} ({code})"


@pytest.mark.parametrize("http_status, body, error", [
    (500, "Internal Server Error", RetryableSendError),
    (503, "Service Unavailable", RetryableSendError),
    (429, "Too Many Requests", RetryableSendError),
    (401, "The supplied authentication is invalid", PermanentSendError),
    (400, "Request is missing required form field 'to'", PermanentSendError),
])
def test_africastalking_http_errors_are_classified_by_status(at_settings, mocked, http_status, body, error):
    mocked.post(AT_SANDBOX, body=body, status=http_status, content_type="text/plain")
    with pytest.raises(error) as caught:
        sender_for(at_settings).send(_message())
    assert caught.value.reason == f"Africa's Talking HTTP {http_status}: {body}"


@pytest.mark.parametrize("failure", [requests.ConnectTimeout("connect timed out"),
                                     requests.ReadTimeout("read timed out"),
                                     requests.ConnectionError("connection refused")])
def test_africastalking_timeouts_and_connection_errors_are_retryable(at_settings, mocked, failure):
    mocked.post(AT_SANDBOX, body=failure)
    with pytest.raises(RetryableSendError, match="Africa's Talking (timed out|unreachable)"):
        sender_for(at_settings).send(_message())


def test_africastalking_refusing_the_whole_request_is_permanent(at_settings, mocked):
    mocked.post(AT_SANDBOX, json={"SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}}, status=201)
    with pytest.raises(PermanentSendError, match="sent to nobody: InvalidSenderId"):
        sender_for(at_settings).send(_message())


def test_africastalking_answer_sent_as_text_is_still_read(at_settings, mocked):
    import json
    mocked.post(AT_SANDBOX, body=json.dumps(_at_answer(101, "Success")), status=201,
                content_type="application/json; charset=utf-8")  # the SDK hands this back as a string
    assert sender_for(at_settings).send(_message()).provider_message_id == "ATXid_1"


def test_africastalking_a_number_the_sdk_would_refuse_fails_without_a_request(at_settings, mocked):
    with pytest.raises(PermanentSendError, match="InvalidPhoneNumber"):
        sender_for(at_settings).send(_message(phone="9812345678"))
    assert len(mocked.calls) == 0


@pytest.mark.parametrize("raw, parsed", [
    ("KES 0.8000", (Decimal("0.8000"), "KES")),
    ("INR 0.2000", (Decimal("0.2000"), "INR")),
    ("0", (None, None)),
    ("", (None, None)),
    (None, (None, None)),
])
def test_africastalking_cost(raw, parsed):
    assert at_sender.parse_cost(raw) == parsed


# --- Twilio ------------------------------------------------------------------------------------------------------

def _twilio_message(status="queued", error_code=None) -> dict:
    return {"sid": MESSAGE_SID, "account_sid": SID, "to": PHONE, "from": "+15005550006", "body": BODY,
            "status": status, "num_segments": "1", "direction": "outbound-api", "price": None, "error_code": error_code,
            "error_message": None, "date_created": "Wed, 15 Jul 2026 06:30:00 +0000", "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{SID}/Messages/{MESSAGE_SID}.json"}


def _twilio_error(status: int, code: int, message: str) -> dict:
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}


def test_twilio_posts_the_form_the_api_documents(twilio_settings, mocked):
    mocked.post(TWILIO_URL, json=_twilio_message("queued"), status=201)
    receipt = sender_for(twilio_settings).send(_message())
    assert receipt == Receipt(provider="twilio", provider_message_id=MESSAGE_SID, status="queued",
                              provider_status="queued")
    [call] = mocked.calls
    assert _form(call) == {"To": PHONE, "From": "+15005550006", "Body": BODY,
                           "StatusCallback": "https://sms.example.org/twilio/sms/status"}
    assert call.request.headers["Authorization"].startswith("Basic ")
    assert call.request.req_kwargs["timeout"] == twilio_sender.TIMEOUT_S


def test_twilio_messaging_service_and_no_status_callback(twilio_settings, mocked):
    mocked.post(TWILIO_URL, json=_twilio_message("accepted"), status=201)
    settings = replace(twilio_settings, twilio_from="MG0123456789abcdef0123456789abcdef", public_base_url=None)
    receipt = sender_for(settings).send(_message())
    assert (receipt.status, receipt.provider_status) == ("queued", "accepted")
    assert _form(mocked.calls[0]) == {"To": PHONE, "MessagingServiceSid": "MG0123456789abcdef0123456789abcdef",
                                      "Body": BODY}


@pytest.mark.parametrize("http_status, code, message, error", [
    (400, 21211, "The 'To' number +91981234 is not a valid phone number.", PermanentSendError),
    (400, 21610, "Attempt to send to unsubscribed recipient", PermanentSendError),
    (400, 21614, "'To' number is not a valid mobile number", PermanentSendError),
    (400, 21408, "Permission to send an SMS has not been enabled for the region", PermanentSendError),
    (401, 20003, "Authenticate", PermanentSendError),
    (429, 20429, "Too Many Requests", RetryableSendError),
    (500, 20500, "Internal Server Error", RetryableSendError),
    (503, 20503, "Service Unavailable", RetryableSendError),
])
def test_twilio_errors(twilio_settings, mocked, http_status, code, message, error):
    mocked.post(TWILIO_URL, json=_twilio_error(http_status, code, message), status=http_status)
    with pytest.raises(error) as caught:
        sender_for(twilio_settings).send(_message())
    assert caught.value.reason.startswith(f"Twilio HTTP {http_status} code {code}: ")
    if code in twilio_sender.PERMANENT_CODES:
        assert caught.value.reason.endswith(twilio_sender.PERMANENT_CODES[code])


@pytest.mark.parametrize("failure", [requests.ConnectTimeout("connect timed out"),
                                     requests.ReadTimeout("read timed out"),
                                     requests.ConnectionError("connection reset")])
def test_twilio_timeouts_and_connection_errors_are_retryable(twilio_settings, mocked, failure):
    mocked.post(TWILIO_URL, body=failure)
    with pytest.raises(RetryableSendError, match="Twilio (timed out|unreachable)"):
        sender_for(twilio_settings).send(_message())


@pytest.mark.parametrize("status, ours", [("queued", "queued"), ("accepted", "queued"), ("sending", "queued"),
                                          ("sent", "sent"), ("delivered", "sent")])
def test_twilio_status_at_creation(twilio_settings, mocked, status, ours):
    mocked.post(TWILIO_URL, json=_twilio_message(status), status=201)
    receipt = sender_for(twilio_settings).send(_message())
    assert (receipt.status, receipt.provider_status, receipt.cost) == (ours, status, None)


def test_twilio_a_message_failed_at_creation_is_permanent(twilio_settings, mocked):
    mocked.post(TWILIO_URL, json=_twilio_message("failed", error_code=30008), status=201)
    with pytest.raises(PermanentSendError, match=f"Twilio failed 30008 at creation \\({MESSAGE_SID}\\)"):
        sender_for(twilio_settings).send(_message())
