"""The send task with a real provider sender (Africa's Talking, answered by `responses`): at most once, retries only
for what a retry can fix, and a web request that queued an SMS never fails because the provider did."""
from decimal import Decimal

import pytest
import requests
import responses
from celery.exceptions import Retry

from farmdb.models import OutboundMessage
from service.outbox import queue_sms
from service.receipts import replay_parked, take_receipt
from tests.conftest import in_worker
from workers.sending import MAX_RETRIES, retry_delay

PHONE = "+919812345678"
AT_URL = "https://api.sandbox.africastalking.com/version1/messaging"


@pytest.fixture
def booted(make_service):
    """The Service of these tests sends through Africa's Talking (sandbox), its tasks in-process."""
    return make_service(sms_provider="africastalking", at_username="sandbox", at_api_key="atsk_test",
                        at_sender_id="KHETIS")


@pytest.fixture
def at_api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def _answer(code=101, status="Success", cost="KES 0.8000", message_id="ATXid_1"):
    return {"SMSMessageData": {"Message": "Sent to 1/1", "Recipients": [
        {"statusCode": code, "number": PHONE, "status": status, "cost": cost, "messageId": message_id}]}}


def _queue(service, sessions, key="test:1") -> int:
    """Queue one SMS and commit: on the embedded default the task runs right here, eagerly."""
    with sessions() as session, session.begin():
        return queue_sms(service, session, phone=PHONE, body="Kheti Sahayak: Kal barish ho sakti hai.", locale="hi",
                         category="service_implicit", purpose="reply", idempotency_key=key).id


def _row(sessions, message_id) -> OutboundMessage:
    with sessions() as session:
        return session.get(OutboundMessage, message_id)


def test_a_sent_message_keeps_the_providers_id_and_cost(sessions, at_api, service):
    at_api.post(AT_URL, json=_answer(), status=201)
    message_id = _queue(service, sessions)
    row = _row(sessions, message_id)
    assert (row.status, row.provider, row.provider_message_id, row.provider_status) == \
        ("sent", "africastalking", "ATXid_1", "Success")
    assert (row.cost, row.cost_currency, row.attempts, row.last_error) == (Decimal("0.8000"), "KES", 1, None)
    assert row.sent_at is not None


@pytest.mark.parametrize("code, status, ours", [(101, "Success", "sent"), (102, "Queued", "queued")])
def test_a_task_that_runs_twice_sends_once(sessions, at_api, code, status, ours, tasks, service):
    at_api.post(AT_URL, json=_answer(code, status), status=201)
    message_id = _queue(service, sessions)
    # Redelivered: the row was handed over already (even when the provider only queued it), so nothing is sent.
    assert tasks.send_sms.delay(message_id).get() == ours
    assert tasks.send_sms(message_id) == ours
    assert len(at_api.calls) == 1
    row = _row(sessions, message_id)
    assert (row.status, row.provider_message_id, row.attempts) == (ours, "ATXid_1", 1)


@pytest.mark.parametrize("answer", [
    dict(json=_answer(500, "InternalServerError", cost="0", message_id="None"), status=201),
    dict(json=_answer(502, "RejectedByGateway", cost="0", message_id="None"), status=201),
    dict(body="Service Unavailable", status=503),
])
def test_a_retryable_failure_in_process_leaves_the_row_queued(sessions, at_api, answer, tasks, service):
    at_api.post(AT_URL, **answer)
    message_id = _queue(service, sessions)  # the eager task must not raise into the caller's commit
    row = _row(sessions, message_id)
    assert (row.status, row.attempts, row.provider_message_id) == ("queued", 1, None)
    assert row.last_error in ("InternalServerError (500)", "RejectedByGateway (502)",
                              "Africa's Talking HTTP 503: Service Unavailable")
    assert len(at_api.calls) == 1  # not retried in-process: the outbox sweeper queues it again later

    at_api.replace(responses.POST, AT_URL, json=_answer(), status=201)
    assert tasks.send_sms.delay(message_id).get() == "sent"  # what the sweeper's later task does
    row = _row(sessions, message_id)
    assert (row.status, row.attempts, row.provider_message_id) == ("sent", 2, "ATXid_1")


def test_a_timeout_in_process_leaves_the_row_queued(sessions, at_api, service):
    at_api.post(AT_URL, body=requests.ConnectTimeout("connect timed out"))
    message_id = _queue(service, sessions)
    row = _row(sessions, message_id)
    assert (row.status, row.attempts) == ("queued", 1)
    assert row.last_error == "Africa's Talking timed out: ConnectTimeout"


@pytest.mark.parametrize("code, status", [(403, "InvalidPhoneNumber"), (406, "UserInBlacklist"),
                                          (409, "DoNotDisturbRejection")])
def test_a_permanent_failure_marks_the_row_failed_at_once(sessions, at_api, code, status, tasks, service):
    at_api.post(AT_URL, json=_answer(code, status, cost="0", message_id="None"), status=201)
    message_id = _queue(service, sessions)
    row = _row(sessions, message_id)
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, f"{status} ({code})")
    assert tasks.send_sms(message_id) == "failed" and len(at_api.calls) == 1  # and it stays failed


def test_a_web_request_that_queues_an_sms_succeeds_when_the_provider_is_down(client, sessions, at_api):
    at_api.post(AT_URL, body="Internal Server Error", status=500)
    response = client.post("/africastalking/sms", data={"from": PHONE, "to": "12345", "text": "help",
                                                         "id": "ATXid_in_1", "date": "2026-07-15 06:30:00"})
    assert response.status_code == 200
    with sessions() as session:
        rows = session.query(OutboundMessage).all()
    assert rows and all(r.status == "queued" and r.last_error == "Africa's Talking HTTP 500: Internal Server Error"
                        for r in rows)


# --- in a worker: Celery retries with backoff, then gives up ----------------------------------------------------

@pytest.fixture
def as_worker(tasks, monkeypatch):
    """Run the task as a worker would; `as_worker.scheduled` holds the retries it schedules."""
    return in_worker(tasks.send_sms, monkeypatch)


def _queued_row(sessions, attempts=0) -> int:
    with sessions() as session, session.begin():
        row = OutboundMessage(idempotency_key="worker:1", phone=PHONE, body="Kheti Sahayak: Kal barish ho sakti hai.",
                              locale="hi",
                              category="service_implicit", purpose="reply", encoding="GSM-7", segments=1,
                              status="queued", attempts=attempts)
        session.add(row)
        session.flush()
        return row.id


def test_a_worker_retries_a_retryable_failure_later(sessions, at_api, as_worker, monkeypatch):
    monkeypatch.setattr("workers.sending.random.uniform", lambda low, high: high)
    at_api.post(AT_URL, body="Internal Server Error", status=500)
    message_id = _queued_row(sessions)
    with pytest.raises(Retry) as caught:
        as_worker(message_id)
    assert caught.value.when == pytest.approx(12.0)  # first retry: 10 s, +20% jitter here
    [options] = as_worker.scheduled
    assert options["countdown"] == pytest.approx(12.0)
    row = _row(sessions, message_id)
    assert (row.status, row.attempts) == ("queued", 1)
    assert row.last_error == "Africa's Talking HTTP 500: Internal Server Error"


def test_a_worker_gives_up_after_the_last_retry(sessions, at_api, as_worker):
    at_api.post(AT_URL, json=_answer(501, "GatewayError", cost="0", message_id="None"), status=201)
    message_id = _queued_row(sessions, attempts=MAX_RETRIES)  # five tries already failed
    assert as_worker(message_id, retries=MAX_RETRIES) == "failed"
    assert as_worker.scheduled == []
    row = _row(sessions, message_id)
    assert (row.status, row.attempts, row.last_error) == ("failed", MAX_RETRIES + 1, "GatewayError (501)")


def test_a_worker_does_not_retry_a_permanent_failure(sessions, at_api, as_worker):
    at_api.post(AT_URL, json=_answer(406, "UserInBlacklist", cost="0", message_id="None"), status=201)
    message_id = _queued_row(sessions)
    assert as_worker(message_id) == "failed"
    assert as_worker.scheduled == []


@pytest.mark.parametrize("attempts, low, high", [(1, 8, 12), (2, 16, 24), (3, 32, 48), (5, 128, 192), (6, 240, 360),
                                                 (12, 240, 360)])
def test_retry_delay_grows_exponentially_with_jitter_and_a_cap(attempts, low, high):
    delays = [retry_delay(attempts) for _ in range(200)]
    assert all(low <= d <= high for d in delays)
    assert max(delays) - min(delays) > 0  # jittered


# --- the database or Redis goes away ------------------------------------------------------------------------------

def test_a_database_outage_before_sending_is_retried_later_and_nothing_is_claimed(sessions, as_worker, monkeypatch, tasks):
    from sqlalchemy.exc import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("connection refused"))
    monkeypatch.setattr("workers.tasks.send_batch", down)
    message_id = _queued_row(sessions)
    with pytest.raises(Retry):
        as_worker(message_id)
    row = _row(sessions, message_id)
    assert (row.status, row.attempts) == ("queued", 0)


def test_a_database_blip_after_sending_is_waited_out_not_sent_twice(sessions, at_api, monkeypatch, tasks, service):
    """The provider took the message; the write that records it fails once. Recording is tried again, so the row
    ends "sent" instead of staying "sending" for the sweeper to send again."""
    from sqlalchemy.exc import OperationalError

    at_api.post(AT_URL, json=_answer(), status=201)
    message_id = _queued_row(sessions)
    backends = service.backends
    real_sessions, failures = backends.sessions, []

    def flaky_sessions():
        if at_api.calls and not failures:  # the first write after the provider answered
            failures.append(1)
            raise OperationalError("UPDATE", {}, Exception("server closed the connection unexpectedly"))
        return real_sessions()
    monkeypatch.setattr(backends, "sessions", flaky_sessions)
    monkeypatch.setattr(service.clock, "sleep", lambda seconds: None)  # the pause before trying again
    assert tasks.send_sms(message_id) == "sent"
    assert len(at_api.calls) == 1 and failures == [1]
    row = _row(sessions, message_id)
    assert (row.status, row.provider_message_id) == ("sent", "ATXid_1")


def test_a_receipt_that_beats_the_record_of_the_send_is_applied_once_it_is_recorded(client, sessions, at_api, service):
    """Africa's Talking reports "Success" for ATXid_1 before our send has recorded that id: the receipt is kept and
    applied when the send is recorded, not dropped."""
    at_api.post(AT_URL, json=_answer(), status=201)
    form = {"id": "ATXid_1", "status": "Success", "phoneNumber": PHONE, "networkCode": "40445", "retryCount": "0"}
    assert client.post("/africastalking/sms/delivery", data=form).status_code == 200
    message_id = _queue(service, sessions, key="early:1")
    row = _row(sessions, message_id)
    assert (row.status, row.provider_message_id, row.provider_status) == ("delivered", "ATXid_1", "Success")
    assert row.delivered_at is not None
    backends = service.backends
    assert backends.redis.exists("receipt:early:africastalking:ATXid_1") == 0


def test_parked_receipts_are_taken_once(sessions, service):
    backends = service.backends
    take_receipt(backends, provider="africastalking", provider_message_id="ATXid_9", provider_status="Sent")
    take_receipt(backends, provider="africastalking", provider_message_id="ATXid_9", provider_status="Success")
    assert backends.redis.llen("receipt:early:africastalking:ATXid_9") == 2
    assert replay_parked(backends, "africastalking", ["ATXid_9"]) == 0  # still no such message: kept
    assert backends.redis.llen("receipt:early:africastalking:ATXid_9") == 2


def test_a_broadcast_chunk_in_one_language_is_one_request_with_each_recipients_answer(sessions, at_api, tasks, service):
    """Africa's Talking's bulk API: one request for every recipient of the same text; each recipient's own status
    decides its message (sent, refused for good, or kept for a retry)."""
    from urllib.parse import parse_qs
    phones = ["+919812300101", "+919812300102", "+919812300103", "+919812300104"]
    at_api.post(AT_URL, status=201, json={"SMSMessageData": {"Message": "Sent to 2/4", "Recipients": [
        {"statusCode": 101, "number": phones[0], "status": "Success", "cost": "INR 0.2500", "messageId": "ATXid_a"},
        {"statusCode": 406, "number": phones[1], "status": "UserInBlacklist", "cost": "0", "messageId": "None"},
        {"statusCode": 500, "number": phones[2], "status": "InternalServerError", "cost": "0", "messageId": "None"},
        {"statusCode": 101, "number": phones[3], "status": "Success", "cost": "INR 0.2500", "messageId": "ATXid_d"},
    ]}})
    at_api.post(AT_URL, status=201, json=_answer(message_id="ATXid_other"))  # the other text, on its own
    with sessions() as session, session.begin():
        rows = [OutboundMessage(idempotency_key=f"bulk:{n}", phone=phone, body="Kheti Sahayak: kal barish.",
                                locale="hi", category="service_implicit", purpose="advisory", encoding="GSM-7",
                                segments=1, status="queued", attempts=0) for n, phone in enumerate(phones)]
        rows.append(OutboundMessage(idempotency_key="bulk:other", phone=PHONE, body="Kheti Sahayak: another text.",
                                    locale="hi", category="service_implicit", purpose="advisory",
                                    encoding="GSM-7", segments=1, status="queued", attempts=0))
        session.add_all(rows)
        session.flush()
        ids = [r.id for r in rows]
    tasks.send_bulk(ids)
    first = at_api.calls[0].request
    assert parse_qs(first.body)["to"] == [",".join(phones)] and parse_qs(first.body)["from"] == ["KHETIS"]
    assert len(at_api.calls) == 2
    got = [(r.status, r.provider_message_id, r.last_error) for r in (_row(sessions, i) for i in ids)]
    assert got == [("sent", "ATXid_a", None), ("failed", None, "UserInBlacklist (406)"),
                   ("queued", None, "InternalServerError (500)"), ("sent", "ATXid_d", None),
                   ("sent", "ATXid_other", None)]
