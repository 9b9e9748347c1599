"""A real Celery worker (celery.contrib.testing) on a real Redis broker and the real PostgreSQL test database, with
Africa's Talking answered by `responses`, so the SDK's own HTTP code runs inside the worker.

The worker is a thread of this process (pool "solo", or "threads" where two deliveries should race), so `responses`
intercepts its calls too. Each test boots its own Service and task app, pointed at the broker: Redis db 13 of
TEST_REDIS_URL's server (12 if the tests' own db is 13), flushed around each test. Nothing here sleeps to let
something happen or not: each test waits for a condition (rows settled, tasks run to their end).

Needs both TEST_DATABASE_URL and TEST_REDIS_URL (CI sets them); skipped otherwise.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
import warnings
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest

if not (os.environ.get("TEST_DATABASE_URL") and os.environ.get("TEST_REDIS_URL")):
    pytest.skip("a real Celery worker needs TEST_DATABASE_URL and TEST_REDIS_URL (real PostgreSQL and Redis)",
                allow_module_level=True)

import redis  # noqa: E402
import responses  # noqa: E402
from celery import signals  # noqa: E402
from celery.contrib.testing.worker import start_worker  # noqa: E402
from kombu import pools  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from farmdb.models import Advisory, Crop, OutboundMessage  # noqa: E402
from farmdb.types import utcnow  # noqa: E402
from service.broadcasts import Audience, advisory_broadcast  # noqa: E402
from service.outbox import queue_sms  # noqa: E402
from service.tasks import DISPATCH_BROADCAST, SEND_SMS  # noqa: E402
from service.value_types import _send_windows  # noqa: E402
from workers.sweeper import SWEEP_OUTBOX  # noqa: E402
from workers.tasks import SEND_BULK  # noqa: E402

AT_URL = "https://api.sandbox.africastalking.com/version1/messaging"
PHONE = "+919812345678"
QUEUES = ["sms.priority", "sms.bulk", "default"]
WAIT_S = 15.0  # the longest any test waits for its rows; they normally settle in well under a second

_LOG_ENV = ("CELERY_LOG_LEVEL", "CELERY_LOG_FILE")


def _broker_url() -> str:
    parts = urlsplit(os.environ["TEST_REDIS_URL"])
    tests_db = parts.path.strip("/") or "0"
    return urlunsplit(parts._replace(path="/12" if tests_db == "13" else "/13"))


BROKER_URL = _broker_url()


# --- fixtures -----------------------------------------------------------------------------------------------------

@pytest.fixture
def broker():
    """The broker's Redis db, empty before and after: a test leaves no task behind for the next one."""
    client = redis.Redis.from_url(BROKER_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def booted(make_service, broker):
    """A deployment with a broker, sending through Africa's Talking (sandbox, header KHETIS so the demo DLT
    templates match) and with no send window, so nothing here depends on the wall clock."""
    return make_service(celery_broker_url=BROKER_URL, sms_provider="africastalking", at_username="sandbox",
                        at_api_key="atsk_test", at_sender_id="KHETIS", send_windows=_send_windows(""))


@pytest.fixture
def worker_app(booted):
    _, app = booted
    yield app
    _drop_producer_pools(app)


@pytest.fixture
def at_api():
    """Africa's Talking's messaging endpoint, answered in-process (every thread: the worker's too). Any other HTTP
    call fails instead of leaving the machine."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def _drop_producer_pools(app):
    """The app keeps its producer connection pool for the broker it first published to: close and forget it when
    the broker changes, so publishing follows broker_url."""
    pools.reset()
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


@contextmanager
def broker_unreachable(app):
    """Publishing fails for real: the app's broker is a port nothing listens on (kombu retries, then raises)."""
    url = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    _drop_producer_pools(app)
    try:
        yield
    finally:
        app.conf.broker_url = url
        _drop_producer_pools(app)


@pytest.fixture
def run_worker(worker_app, at_api):
    """`with run_worker(): ...`: an embedded worker on the three queues, stopped at the end of the block."""

    @contextmanager
    def run(pool: str = "solo", concurrency: int = 1):
        with _celery_leaves_logging_alone():
            with start_worker(worker_app, pool=pool, concurrency=concurrency, queues=QUEUES, perform_ping_check=False,
                              shutdown_timeout=20.0, loglevel="WARNING") as worker:
                yield worker
    return run


def _keep_our_logging(**_kwargs):
    """Connected to setup_logging: Celery then leaves the root logger (and pytest's capture) as it is."""


@contextmanager
def _celery_leaves_logging_alone():
    env = {name: os.environ.get(name) for name in _LOG_ENV}
    captured = logging._warnings_showwarning is not None  # noqa: SLF001 (logging keeps no public flag for it)
    signals.setup_logging.connect(_keep_our_logging)
    try:
        with warnings.catch_warnings():  # the worker's log setup adds "always" filters for its deprecations
            yield
    finally:
        signals.setup_logging.disconnect(_keep_our_logging)
        if not captured:
            logging.captureWarnings(False)
        for name, value in env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# --- helpers ------------------------------------------------------------------------------------------------------

class AtCalls:
    """Answers AT's messaging endpoint from a script of HTTP statuses (the last one repeats) and records every call:
    when it came and for which number."""

    def __init__(self, at_api, statuses=(201,)):
        self.statuses, self.calls, self._lock = list(statuses), [], threading.Lock()
        self.threads: set[str] = set()
        at_api.add_callback(responses.POST, AT_URL, callback=self)

    def __call__(self, request):
        form = {k: v[0] for k, v in parse_qs(request.body).items()}
        numbers = form["to"].split(",")  # a broadcast chunk's text goes to many numbers in one request
        with self._lock:
            self.calls.append((time.monotonic(), numbers))
            self.threads.add(threading.current_thread().name)
            n = len(self.calls)
            status = self.statuses[min(n, len(self.statuses)) - 1]
        if status >= 300:
            return status, {"Content-Type": "text/plain"}, "Internal Server Error"
        answer = {"SMSMessageData": {"Message": f"Sent to {len(numbers)}/{len(numbers)}", "Recipients": [
            {"statusCode": 101, "number": number, "status": "Success", "cost": "KES 0.8000",
             "messageId": f"ATXid_{n}" + (f"_{i}" if i else "")} for i, number in enumerate(numbers)]}}
        return status, {"Content-Type": "application/json"}, json.dumps(answer)

    @property
    def numbers(self) -> list[str]:
        """Every number sent to, once per time it was sent to."""
        return [number for _, numbers in self.calls for number in numbers]


class TaskRuns:
    """How many tasks of each name were published and how many ran to their end, as the worker's signals say."""

    def __init__(self):
        self.published, self.finished = Counter(), Counter()

    def __enter__(self):
        signals.before_task_publish.connect(self._published)
        signals.task_postrun.connect(self._finished)
        return self

    def __exit__(self, *_):
        signals.before_task_publish.disconnect(self._published)
        signals.task_postrun.disconnect(self._finished)

    def _published(self, sender=None, **_):
        self.published[sender] += 1

    def _finished(self, task=None, **_):
        self.finished[task.name] += 1

    def all_done(self, *names: str):
        """A condition for wait_for: every task of these names published so far has run to its end."""
        def check():
            return all(self.published[name] and self.finished[name] >= self.published[name] for name in names)
        check.__doc__ = f"every {', '.join(names)} published has run ({dict(self.published)}, {dict(self.finished)})"
        return check


def wait_for(condition, timeout: float = WAIT_S, every: float = 0.05):
    """Poll until condition() is truthy; return its value, or fail with the last one seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            assert value, f"still not true after {timeout} s: {condition.__doc__ or condition}"
            return value
        time.sleep(every)


def _queue_reply(service, sessions, key: str = "worker-test:1", phone: str = PHONE) -> int:
    """A reply queued as the gateway queues it: the row and, after the commit, its send task."""
    with sessions() as session, session.begin():
        return queue_sms(service, session, phone=phone, body="Kheti Sahayak: Kal barish ho sakti hai.", locale="hi",
                         category="service_implicit", purpose="reply", idempotency_key=key).id


def _row(sessions, message_id: int) -> OutboundMessage:
    with sessions() as session:
        return session.get(OutboundMessage, message_id)


def _settled(sessions, message_id: int, status: str = "sent"):
    def check():
        row = _row(sessions, message_id)
        assert row.status not in {"failed", "cancelled"} - {status}, (row.status, row.last_error)  # fail fast
        return row if row.status == status else None
    check.__doc__ = f"outbox row {message_id} is {status!r}"
    return check


# --- 1. a reply ---------------------------------------------------------------------------------------------------

def test_a_queued_reply_is_sent_by_the_worker(sessions, at_api, run_worker, service):
    provider = AtCalls(at_api)
    with run_worker():
        message_id = _queue_reply(service, sessions)
        row = wait_for(_settled(sessions, message_id))
    assert (row.provider, row.provider_message_id, row.provider_status, row.attempts) == \
        ("africastalking", "ATXid_1", "Success", 1)
    assert row.sent_at is not None and row.template_id and row.template_id.startswith("DEMO")
    assert provider.numbers == [PHONE]
    assert threading.main_thread().name not in provider.threads  # the worker sent it, not the committing thread


# --- 2. a provider 500, then success --------------------------------------------------------------------------------

def test_a_provider_500_is_retried_by_the_worker_after_its_backoff(sessions, at_api, run_worker, monkeypatch, service):
    monkeypatch.setattr("workers.tasks.retry_delay", lambda attempts: 0.3)
    provider = AtCalls(at_api, statuses=(500, 201))
    with run_worker():
        message_id = _queue_reply(service, sessions)
        row = wait_for(_settled(sessions, message_id))
    assert (row.attempts, row.provider_message_id) == (2, "ATXid_2")
    assert provider.numbers == [PHONE, PHONE]
    (first, _), (second, _) = provider.calls
    assert second - first >= 0.25  # the retry waited for its countdown, not re-run at once


# --- 3. a broadcast -----------------------------------------------------------------------------------------------

FARMERS = 30


def _cotton_advisory(sessions) -> int:
    with sessions() as db:
        return db.scalar(select(Advisory.id).join(Crop, Advisory.crop_id == Crop.id)
                         .where(Crop.code == "cotton").order_by(Advisory.id).limit(1))


def _register_cotton_farmers(register_farmer, n: int = FARMERS) -> list[str]:
    phones = [f"+91981100{i:04d}" for i in range(n)]
    for i, phone in enumerate(phones):
        register_farmer(phone=phone, name=f"Kisan {i}", locale=("en", "hi", "mr")[i % 3], crops=("cotton",))
    return phones


def _broadcast_rows(sessions, broadcast_id: int) -> dict[str, int]:
    with sessions() as db:
        return dict(db.execute(select(OutboundMessage.status, func.count())
                               .where(OutboundMessage.broadcast_id == broadcast_id)
                               .group_by(OutboundMessage.status)).all())


def _create_broadcast(sessions, service, advisory_id: int) -> int:
    with sessions() as db, db.begin():
        broadcast, plan, new = advisory_broadcast(service, db, advisory_id, Audience(district="Nashik"),
                                                  created_by="test")
        assert new and plan.recipients == FARMERS
        return broadcast.id  # dispatch_broadcast goes to the broker when this commits


def _all_sent(sessions, broadcast_id: int):
    def check():
        counts = _broadcast_rows(sessions, broadcast_id)
        return counts if counts == {"sent": FARMERS} else None
    check.__doc__ = f"every row of broadcast {broadcast_id} is sent"
    return check


def test_a_broadcast_is_dispatched_in_chunks_and_each_farmer_gets_one_sms(
        sessions, register_farmer, service, at_api, run_worker, monkeypatch):
    monkeypatch.setattr("workers.broadcasts.CHUNK", 8)  # 30 farmers: four send_bulk tasks
    chunks = []

    def seen(sender=None, task=None, args=(), **_):
        if task.name == SEND_BULK:
            chunks.append(list(args[0]))
    phones = _register_cotton_farmers(register_farmer)
    provider = AtCalls(at_api)
    advisory_id = _cotton_advisory(sessions)
    signals.task_prerun.connect(seen)
    try:
        with run_worker(pool="threads", concurrency=2):
            broadcast_id = _create_broadcast(sessions, service, advisory_id)
            wait_for(_all_sent(sessions, broadcast_id))
    finally:
        signals.task_prerun.disconnect(seen)
    assert sorted(provider.numbers) == sorted(phones)  # one call per farmer, nobody twice
    assert sorted(len(c) for c in chunks) == [6, 8, 8, 8]
    with sessions() as db:
        rows = db.execute(select(OutboundMessage.locale, OutboundMessage.attempts, OutboundMessage.template_id)
                          .where(OutboundMessage.broadcast_id == broadcast_id)).all()
    assert {locale for locale, _, _ in rows} == {"en", "hi", "mr"}
    assert all(attempts == 1 and template for _, attempts, template in rows)


# --- 4. a lost task: the sweeper finds its row ------------------------------------------------------------------

@pytest.mark.parametrize("how", ["broker restarted", "publish failed"])
def test_a_lost_send_task_is_requeued_by_the_sweeper_and_sent(sessions, service, worker_app, broker, at_api,
                                                               run_worker, caplog, how):
    provider = AtCalls(at_api)
    if how == "broker restarted":
        message_id = _queue_reply(service, sessions)
        assert broker.llen("sms.priority") == 1
        broker.flushdb()  # Redis restarted without persistence before any worker took the task
    else:
        with broker_unreachable(worker_app):
            message_id = _queue_reply(service, sessions)  # after_commit logs the failed publish; the row stays queued
        assert "could not queue a task after commit" in caplog.text
    assert [broker.llen(queue) for queue in QUEUES] == [0, 0, 0]  # nothing left that could deliver it
    with run_worker():
        assert (_row(sessions, message_id).status, provider.calls) == ("queued", [])
        later = utcnow() + timedelta(seconds=service.settings.outbox_sweep_after + 60)
        worker_app.tasks[SWEEP_OUTBOX].delay(later.isoformat())  # what beat publishes every minute
        row = wait_for(_settled(sessions, message_id))
    assert (row.attempts, provider.numbers) == (1, [PHONE])


# --- 5. a task delivered twice ------------------------------------------------------------------------------------

def test_a_send_task_delivered_twice_sends_once(sessions, service, worker_app, at_api, run_worker):
    provider = AtCalls(at_api)
    with TaskRuns() as runs, run_worker(pool="threads", concurrency=2):  # both deliveries may run at once
        message_id = _queue_reply(service, sessions)
        worker_app.tasks[SEND_SMS].delay(message_id)  # the broker (or a sweeper) hands the same task out again
        row = wait_for(_settled(sessions, message_id))
        wait_for(runs.all_done(SEND_SMS))  # both deliveries have run to their end
    assert runs.finished[SEND_SMS] == 2
    assert (row.attempts, provider.numbers) == (1, [PHONE])
    assert _row(sessions, message_id).attempts == 1


def test_a_broadcast_dispatched_twice_sends_each_message_once(sessions, register_farmer, service, worker_app,
                                                              at_api, run_worker):
    phones = _register_cotton_farmers(register_farmer)
    provider = AtCalls(at_api)
    advisory_id = _cotton_advisory(sessions)
    with TaskRuns() as runs, run_worker(pool="threads", concurrency=2):
        broadcast_id = _create_broadcast(sessions, service, advisory_id)
        worker_app.tasks[DISPATCH_BROADCAST].delay(broadcast_id)  # a second dispatch, racing the first
        wait_for(_all_sent(sessions, broadcast_id))
        wait_for(runs.all_done(DISPATCH_BROADCAST, SEND_BULK))  # every chunk of both dispatches has run
    assert runs.published[DISPATCH_BROADCAST] == 2
    assert sorted(provider.numbers) == sorted(phones)
