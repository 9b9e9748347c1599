"""The provider's allowance: one token bucket per provider and sender id, shared by every worker through Redis;
what is over it is rescheduled, never dropped."""
import time
from urllib.parse import parse_qs
from dataclasses import replace

import pytest
import responses
from sqlalchemy import select

from farmdb.models import OutboundMessage
from workers import runtime
from workers.rate_limit import RateLimiter, limiter_for
from workers.tasks import send_bulk

AT_URL = "https://api.sandbox.africastalking.com/version1/messaging"


def test_a_burst_is_granted_then_the_rest_waits_for_refill(redis_client):
    # One token a second, ten at most: slow enough that a busy machine's pauses between calls refill nothing.
    bucket = RateLimiter(redis_client, "ratelimit:test", rate=1, burst=10)
    assert bucket.take(4) == (4, 0.0)
    granted, wait = bucket.take(10)
    assert granted == 6 and 0 < wait <= 1.0  # a partial grant: what is there, and when the next token comes
    assert bucket.take(1)[0] == 0
    time.sleep(1.1)
    assert 1 <= bucket.take(10)[0] <= 2  # refilled at one a second (two if the machine paused us)


def test_every_worker_draws_from_the_same_bucket_and_each_sender_has_its_own(redis_client):
    one, other = (limiter_for(redis_client, "africastalking", "KHETIS", 5) for _ in range(2))
    granted = one.take(3)[0], other.take(3)[0]
    # Two processes, one allowance of five (a sixth only if the machine paused us a fifth of a second between).
    assert granted[0] == 3 and granted[1] in (2, 3)
    assert one.take(5)[0] <= 2
    assert limiter_for(redis_client, "africastalking", "AGRIAL", 5).take(5)[0] == 5  # another sender: its own
    assert 0 < redis_client.pttl("ratelimit:sms:africastalking:KHETIS") <= 2000  # idle buckets expire


@pytest.fixture
def slow_provider(app, settings, backends, sessions):
    """Africa's Talking at two messages per second, answering every send."""
    runtime.install(replace(settings, sms_provider="africastalking", at_username="sandbox", at_api_key="k",
                            at_sender_id="KHETIS", sms_rate_per_second=2), backends)
    with responses.RequestsMock() as api:
        n = iter(range(1000))
        api.add_callback(responses.POST, AT_URL, callback=lambda request: (201, {}, _answer(n, request)))
        yield api
    runtime.install(settings, backends)


def _answer(n, request) -> str:
    """Success for every number the request names (AT's bulk API answers one line per recipient)."""
    import json
    from urllib.parse import parse_qs
    numbers = parse_qs(request.body)["to"][0].split(",")
    return json.dumps({"SMSMessageData": {"Message": f"Sent to {len(numbers)}/{len(numbers)}", "Recipients": [
        {"statusCode": 101, "number": number, "status": "Success", "cost": "KES 0.8000",
         "messageId": f"ATXid_{next(n)}"} for number in numbers]}})


def _rows(sessions, n: int) -> list[int]:
    with sessions() as db, db.begin():
        rows = [OutboundMessage(idempotency_key=f"rl:{i}", phone=f"+25471234{i:04d}", body="Mvua kubwa kesho.",
                                locale="en", category="service_implicit", purpose="reply", encoding="GSM-7",
                                segments=1, status="queued", attempts=0) for i in range(n)]
        db.add_all(rows)
        db.flush()
        return [r.id for r in rows]


def test_a_worker_reschedules_what_is_over_the_allowance(slow_provider, sessions, monkeypatch):
    scheduled = []
    task = send_bulk._get_current_object()
    monkeypatch.setattr(type(task), "apply_async", lambda self, args, **kw: scheduled.append((args, kw)))
    ids = _rows(sessions, 5)
    task.push_request(id="t1", args=[ids], kwargs={}, retries=0, is_eager=False, called_directly=False,
                      delivery_info={})
    try:
        counts = task.run(ids)
    finally:
        task.pop_request()
    assert counts == {"sent": 2} and len(slow_provider.calls) == 1  # the two the allowance took, in one request
    [((later, broadcast_id), options)] = scheduled
    assert later == ids[2:] and broadcast_id is None and 0 < options["countdown"] <= 0.5
    with sessions() as db:
        statuses = db.scalars(select(OutboundMessage.status).order_by(OutboundMessage.id)).all()
    assert statuses == ["sent", "sent", "queued", "queued", "queued"]  # waiting, not dropped


def test_in_process_a_throttled_chunk_waits_for_its_tokens(slow_provider, sessions):
    ids = _rows(sessions, 4)
    started = time.monotonic()
    assert send_bulk(ids) == {"sent": 4}
    assert time.monotonic() - started >= 0.5  # two at once, then two more as the bucket refills
    assert sum(len(parse_qs(c.request.body)["to"][0].split(",")) for c in slow_provider.calls) == 4
