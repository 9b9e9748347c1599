"""A worker that dies, or is told to stop, in the middle of a chunk: each provider request's answer is recorded as
it comes, so only the request in flight is in doubt (the sweeper sends it again: the one window of duplicates), and
a stopping worker records that request and hands the rest back. tests/faults/test_worker_killed.py does the same
with a real worker and SIGKILL / SIGTERM."""
import multiprocessing
from collections import Counter
from datetime import timedelta

import pytest
from celery import signals

from farmdb.models import OutboundMessage
from farmdb.types import utcnow
from service.providers import Receipt
from tests.conftest import in_worker
from workers.sending import SENDING_STALE, send_batch
from workers.shutdown import Shutdown

ROWS = 10
PER_REQUEST = 3  # requests of 3, 3, 3 and 1 for a bulk sender


class Killed(BaseException):
    """The process dies here: nothing after it runs (not an Exception, so no handler of ours takes it)."""


class Provider:
    """Takes messages and keeps every number it was given, request by request; `at(n, do)` runs `do` when request
    n arrives (after it reached the provider: raising there is dying with the request in flight)."""
    name, sender_id, dlt_header, rate_limited = "console", None, None, False

    def __init__(self):
        self.requests: list[list[str]] = []
        self.hooks = {}

    def at(self, n: int, do) -> None:
        self.hooks[n] = do

    def send(self, message):
        return self._take([message])[0]

    def _take(self, messages):
        self.requests.append([m.phone for m in messages])
        if len(self.requests) in self.hooks:
            self.hooks[len(self.requests)]()
        return [Receipt(provider="stub", provider_message_id=f"stub-{m.id}", status="sent") for m in messages]

    @property
    def numbers(self) -> Counter:
        return Counter(n for request in self.requests for n in request)


class BulkProvider(Provider):
    def send_many(self, messages):
        return self._take(messages)


@pytest.fixture(params=["bulk", "one by one"])
def provider(request, service, monkeypatch):
    monkeypatch.setattr("workers.sending.PER_REQUEST", PER_REQUEST)
    made = BulkProvider() if request.param == "bulk" else Provider()
    service.use_provider("console", made)
    return made


@pytest.fixture
def chunk(sessions) -> list[int]:
    """Ten rows of one text, as a broadcast chunk in one language is."""
    with sessions() as db, db.begin():
        rows = [OutboundMessage(idempotency_key=f"lost:{n}", phone=f"+9198123000{n:02d}",
                                body="Kheti Sahayak: kal barish.", locale="hi", category="service_implicit",
                                purpose="advisory", encoding="GSM-7", segments=1, status="queued", attempts=0)
                for n in range(ROWS)]
        db.add_all(rows)
        db.flush()
        return [row.id for row in rows]


def _statuses(sessions, ids) -> list[str]:
    with sessions() as db:
        return [db.get(OutboundMessage, i).status for i in ids]


def _in_flight(provider) -> int:
    """How many rows the provider's third request carries: 3 in bulk, 1 one by one."""
    return len(provider.requests[2])


def test_a_worker_killed_with_a_request_in_flight_leaves_only_that_request_in_doubt(sessions, provider, chunk,
                                                                                   tasks):
    provider.at(3, lambda: (_ for _ in ()).throw(Killed()))
    with pytest.raises(Killed):
        tasks.send_bulk(chunk)
    statuses, doubt = _statuses(sessions, chunk), _in_flight(provider)
    assert statuses == ["sent"] * (2 * doubt) + ["sending"] * doubt + ["queued"] * (ROWS - 3 * doubt)

    # The sweeper, once SENDING_STALE has passed: the rows in doubt go again, the rest for the first time.
    counts = tasks.sweep_outbox(now=(utcnow() + SENDING_STALE + timedelta(minutes=1)).isoformat())
    assert (counts["resent"], counts["requeued"]) == (doubt, ROWS - 3 * doubt)
    assert _statuses(sessions, chunk) == ["sent"] * ROWS
    twice = [phone for phone, n in provider.numbers.items() if n > 1]
    assert len(provider.numbers) == ROWS and len(twice) == doubt <= PER_REQUEST  # nothing lost; one request doubled


def test_a_worker_told_to_stop_records_the_request_in_flight_and_hands_back_the_rest(sessions, provider, chunk,
                                                                                    tasks, booted, monkeypatch):
    told = Shutdown()
    monkeypatch.setattr(booted[1], "shutdown", told)
    told._told = multiprocessing.RawValue("b", 0)
    provider.at(3, lambda: setattr(told._told, "value", 1))  # SIGTERM arrives while request 3 is in flight
    run = in_worker(tasks.send_bulk, monkeypatch)
    counts = run(chunk, 7)
    doubt = _in_flight(provider)
    assert len(provider.requests) == 3  # not one request more
    assert _statuses(sessions, chunk) == ["sent"] * (3 * doubt) + ["queued"] * (ROWS - 3 * doubt)
    assert counts == {"sent": 3 * doubt, "queued": ROWS - 3 * doubt}
    assert [options["args"] for options in run.scheduled] == [(chunk[3 * doubt:], 7)]  # back on the queue, now


def test_a_stopping_worker_hands_a_reply_back_before_sending_it(sessions, service, tasks, booted, monkeypatch, chunk):
    told = Shutdown()
    monkeypatch.setattr(booted[1], "shutdown", told)
    monkeypatch.setattr(told, "asked", lambda: True)
    provider = Provider()
    service.use_provider("console", provider)
    run = in_worker(tasks.send_sms, monkeypatch)
    assert run(chunk[0]) == "queued"
    assert provider.requests == [] and run.scheduled == [{"args": (chunk[0],)}]


def test_the_main_process_tells_the_pool_processes_it_forked():
    told = Shutdown()
    told.watch()
    try:
        pool = multiprocessing.get_context("fork")
        ready, heard = pool.Event(), pool.Event()

        def pool_process():
            ready.set()
            while not told.asked():
                pass
            heard.set()
        child = pool.Process(target=pool_process, daemon=True)
        child.start()
        assert ready.wait(10) and not told.asked()
        signals.worker_shutting_down.send(sender="celery@test", sig="SIGTERM", how="Warm", exitcode=0)
        assert heard.wait(10)
        child.join(10)
    finally:
        signals.worker_shutting_down.disconnect(told._tell)


def test_a_chunk_goes_in_requests_of_one_text_each_answer_recorded_as_it_comes(sessions, service, provider, chunk):
    seen = []
    provider.at(2, lambda: seen.append(_statuses(sessions, chunk)))  # the first request's answer is in already
    outcome = send_batch(service, chunk)
    size = _in_flight(provider)
    assert seen == [["sent"] * size + ["sending"] * size + ["queued"] * (ROWS - 2 * size)]
    assert outcome.statuses == {i: "sent" for i in chunk} and _statuses(sessions, chunk) == ["sent"] * ROWS
    assert [len(r) for r in provider.requests] == ([3, 3, 3, 1] if size == 3 else [1] * ROWS)
