"""The provider's allowance: one token bucket per provider and sender id, shared by every worker through Redis;
what is over it is rescheduled, never dropped. The buckets run on a test clock: nothing here sleeps."""
import json
from urllib.parse import parse_qs

import pytest
import responses
from sqlalchemy import select

from farmdb.models import OutboundMessage
from service.rate_limit import RateLimiter, limiter_for
from tests.conftest import ManualClock, in_worker

AT_URL = "https://api.sandbox.africastalking.com/version1/messaging"


def test_a_burst_is_granted_then_the_rest_waits_for_refill(redis_client):
    clock = ManualClock()
    bucket = RateLimiter(redis_client, "ratelimit:test", rate=1, burst=10, clock=clock.now_ms)
    assert bucket.take(4) == (4, 0.0)
    assert bucket.take(10) == (6, 1.0)  # a partial grant: what is there, and when the next token comes
    assert bucket.take(1) == (0, 1.0)
    clock.sleep(0.5)
    assert bucket.take(1) == (0, 0.5)  # half a token: the rest of a second to wait
    clock.sleep(0.5)
    assert bucket.take(10)[0] == 1  # refilled at one a second
    clock.sleep(60)
    assert bucket.take(20)[0] == 10  # never more than the burst


def test_without_a_clock_of_its_own_the_bucket_keeps_redis_time(redis_client):
    bucket = RateLimiter(redis_client, "ratelimit:redis-time", rate=1, burst=3)
    assert bucket.take(5)[0] == 3 and bucket.take(1)[0] == 0
    assert redis_client.hget("ratelimit:redis-time", "at") is not None


def test_every_worker_draws_from_the_same_bucket_and_each_sender_has_its_own(redis_client):
    clock = ManualClock()
    one, other = (limiter_for(redis_client, "africastalking", "KHETIS", 5, clock=clock.now_ms) for _ in range(2))
    assert (one.take(3)[0], other.take(3)[0]) == (3, 2)  # two processes, one allowance of five
    assert one.take(5)[0] == 0
    assert limiter_for(redis_client, "africastalking", "AGRIAL", 5, clock=clock.now_ms).take(5)[0] == 5
    assert 0 < redis_client.pttl("ratelimit:sms:africastalking:KHETIS") <= 2000  # idle buckets expire


@pytest.fixture
def booted(make_service):
    """Africa's Talking at two messages per second, on a test clock."""
    return make_service(clock=ManualClock(), sms_provider="africastalking", at_username="sandbox", at_api_key="k",
                        at_sender_id="KHETIS", sms_rate_per_second=2)


@pytest.fixture
def slow_provider():
    """Africa's Talking answering every send, one line per recipient of a bulk request."""
    with responses.RequestsMock() as api:
        sent = iter(range(1000))
        api.add_callback(responses.POST, AT_URL, callback=lambda request: (201, {}, _answer(sent, request)))
        yield api


def _answer(sent, request) -> str:
    numbers = parse_qs(request.body)["to"][0].split(",")
    return json.dumps({"SMSMessageData": {"Message": f"Sent to {len(numbers)}/{len(numbers)}", "Recipients": [
        {"statusCode": 101, "number": number, "status": "Success", "cost": "KES 0.8000",
         "messageId": f"ATXid_{next(sent)}"} for number in numbers]}})


def _rows(sessions, n: int) -> list[int]:
    with sessions() as db, db.begin():
        rows = [OutboundMessage(idempotency_key=f"rl:{i}", phone=f"+25471234{i:04d}", body="Mvua kubwa kesho.",
                                locale="en", category="service_implicit", purpose="reply", encoding="GSM-7",
                                segments=1, status="queued", attempts=0) for i in range(n)]
        db.add_all(rows)
        db.flush()
        return [r.id for r in rows]


def test_a_worker_reschedules_what_is_over_the_allowance(slow_provider, sessions, tasks, monkeypatch):
    run = in_worker(tasks.send_bulk, monkeypatch)
    ids = _rows(sessions, 5)
    assert run(ids) == {"sent": 2} and len(slow_provider.calls) == 1  # the two the allowance took, in one request
    [options] = run.scheduled
    assert options["args"] == (ids[2:], None) and options["countdown"] == 0.5  # the next token, half a second on
    with sessions() as db:
        statuses = db.scalars(select(OutboundMessage.status).order_by(OutboundMessage.id)).all()
    assert statuses == ["sent", "sent", "queued", "queued", "queued"]  # waiting, not dropped


def test_in_process_a_throttled_chunk_waits_for_its_tokens(slow_provider, sessions, service, tasks):
    ids = _rows(sessions, 4)
    started = service.clock.now_ms()
    assert tasks.send_bulk(ids) == {"sent": 4}
    assert service.clock.now_ms() - started == 1000  # two at once, then one each half second as the bucket refills
    assert sum(len(parse_qs(c.request.body)["to"][0].split(",")) for c in slow_provider.calls) == 4
