"""One deployment for India and Kenya: PROVIDER_ROUTES sends each number by its country's provider. The real SDKs run
and `responses` answers for both providers, so the exact request each one gets is checked: the Indian farmer's SMS
goes by Plivo with its DLT identifiers, the Kenyan farmer's by Africa's Talking, each within its own allowance."""
import json
from urllib.parse import parse_qs

import pytest
import responses
from sqlalchemy import select

from farmdb.models import OutboundMessage
from service.outbox import queue_sms
from service.routing import parse_routes
from tests.conftest import ManualClock
from workers.sending import send_batch

INDIA, KENYA, ELSEWHERE = "+919812345678", "+254711000111", "+15005550006"
AUTH_ID = "MAODUZYTQ0Y2FMYJBLOW"
PLIVO_URL = f"https://api.plivo.com/v1/Account/{AUTH_ID}/Message/"
AT_URL = "https://api.sandbox.africastalking.com/version1/messaging"
BODY = "Kheti Sahayak: Kal barish ho sakti hai."
BOTH = dict(sms_provider="africastalking", at_username="sandbox", at_api_key="atsk_test", at_sender_id="KHETIS",
            provider_routes=parse_routes("+91=plivo"), plivo_auth_id=AUTH_ID, plivo_auth_token="plivo-token",
            plivo_from="KHETIS", dlt_entity_id="1101000000001", public_base_url="https://sms.example.org")


@pytest.fixture
def booted(make_service):
    return make_service(**BOTH)


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(PLIVO_URL, json={"api_id": "a", "message": "message(s) queued", "message_uuid": ["uuid-in-1"]},
                  status=202)
        rsps.post(AT_URL, status=201, json={"SMSMessageData": {"Message": "Sent to 1/1", "Recipients": [
            {"statusCode": 101, "number": KENYA, "status": "Success", "cost": "KES 0.8000",
             "messageId": "ATXid_ke"}]}})
        yield rsps


def queue(service, sessions, phone: str) -> int:
    with sessions() as session, session.begin():
        return queue_sms(service, session, phone=phone, body=BODY, locale="hi", category="service_implicit",
                         purpose="reply", idempotency_key=f"route:{phone}").id


def rows(sessions) -> dict[str, tuple]:
    with sessions() as session:
        return {m.phone: (m.status, m.provider, m.provider_message_id, m.template_id)
                for m in session.scalars(select(OutboundMessage))}


def sent_entity(sessions, phone: str) -> str:
    with sessions() as session:
        return session.scalar(select(OutboundMessage.dlt_entity_id).where(OutboundMessage.phone == phone))


def test_each_number_goes_by_its_countrys_provider(service, sessions, api):
    queue(service, sessions, INDIA)
    queue(service, sessions, KENYA)
    by_url = {call.request.url: call for call in api.calls}
    plivo = json.loads(by_url[PLIVO_URL].request.body)
    assert (plivo["dst"], plivo["src"], plivo["dlt_template_category"]) == \
        ("919812345678", "KHETIS", "service_implicit")
    at = parse_qs(by_url[AT_URL].request.body)
    assert at["to"] == [KENYA] and at["from"] == ["KHETIS"]
    sent = rows(sessions)
    # The template the outbox matched, and its row's entity (DLT_ENTITY_ID only stands in for a row without one).
    assert sent[INDIA] == ("queued", "plivo", "uuid-in-1", plivo["dlt_template_id"])
    assert plivo["dlt_entity_id"] == sent_entity(sessions, INDIA) != BOTH["dlt_entity_id"]
    assert sent[KENYA] == ("sent", "africastalking", "ATXid_ke", None)


def test_a_number_no_route_names_goes_by_sms_provider(make_service, sessions, api):
    service, _ = make_service(**{**BOTH, "provider_routes": parse_routes("+91=plivo,+2547=africastalking")})
    queue(service, sessions, ELSEWHERE)
    assert [call.request.url for call in api.calls] == [AT_URL]
    assert service.settings.provider_for(ELSEWHERE) == "africastalking"
    assert service.settings.provider_for("+254711000111") == "africastalking"  # the longest prefix wins


def test_one_batch_of_both_countries_takes_each_providers_own_allowance(make_service, sessions, api, monkeypatch):
    service, _ = make_service(clock=ManualClock(), **{**BOTH, "sms_rate_per_second": 1})
    monkeypatch.setattr(service.tasks, "send_sms", lambda message_id: None)  # queued, sent below as one batch
    ids = [queue(service, sessions, phone) for phone in (INDIA, "+919812345679", KENYA)]
    outcome = send_batch(service, ids)
    # One message a second per provider: one Indian and the Kenyan go now, the second Indian waits its turn.
    assert sorted(outcome.throttled) == [ids[1]] and 0 < outcome.wait <= 1.0
    assert sorted(call.request.url for call in api.calls) == sorted([AT_URL, PLIVO_URL])


def test_the_dlt_header_matched_is_the_header_of_the_provider_that_sends_to_india(make_service):
    service, _ = make_service(**{**BOTH, "plivo_from": "KISANS"})
    assert service.dlt_header() == "KISANS"
    assert make_service(**{**BOTH, "provider_routes": parse_routes("")})[0].dlt_header() == "KHETIS"
