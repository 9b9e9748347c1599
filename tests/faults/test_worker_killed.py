"""A real worker killed in the middle of a broadcast (SIGKILL), or told to stop (SIGTERM): nothing is lost, and
nothing goes out twice beyond the documented window of one provider request (workers/sending.py).

The worker is `kheti worker` as deployed (prefork, one child doing the work) on the real broker (Redis) and the
test database, booted by this module (`python -m tests.faults.test_worker_killed`) only so that its Africa's
Talking client talks to a stub: an HTTP server in this test that answers like AT's bulk SMS API and records every
request it receives, so the test counts what really went out. The stub holds one request open, and the worker is
killed while it waits for the answer: the worst moment, when the provider has the messages and the worker has not
recorded them. A request carries PER_REQUEST recipients here (100 in production), so a few hundred farmers make
dozens of requests and the bound means something.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from kombu import pools
from sqlalchemy import func, select

from farmdb.models import Advisory, Crop, OutboundMessage
from farmdb.types import utcnow
from service.broadcasts import Audience, advisory_broadcast
from service.value_types import _send_windows
from workers.sending import SENDING_STALE
from workers.sweeper import SWEEP_OUTBOX

FARMERS = 240  # en, hi and mr in turn: three texts of 80 recipients
PER_REQUEST = 8  # recipients per AT request in this test's worker: 30 requests
HOLD_AT = 12  # the request the stub holds open: the worker is killed (or told to stop) while it is in flight
ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 30.0
TOLD = "fault test: the worker was told to stop"


# --- the stub provider --------------------------------------------------------------------------------------------

class StubAt:
    """Africa's Talking's messaging endpoint on 127.0.0.1: every recipient "Success", each request's numbers
    recorded in the order they came, and request number `hold` kept waiting until `release` is set."""

    def __init__(self, hold: int | None = HOLD_AT):
        self.requests: list[list[str]] = []
        self.hold, self.held, self.release = hold, threading.Event(), threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                numbers = form["to"][0].split(",")
                with stub._lock:
                    stub.requests.append(numbers)
                    n = len(stub.requests)
                if n == stub.hold:
                    stub.held.set()
                    stub.release.wait(WAIT_S)
                body = json.dumps({"SMSMessageData": {"Message": f"Sent to {len(numbers)}", "Recipients": [
                    {"statusCode": 101, "number": number, "status": "Success", "cost": "INR 0.2000",
                     "messageId": f"ATXid_{n}_{i}"} for i, number in enumerate(numbers)]}}).encode()
                try:
                    self.send_response(201)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the worker that asked is dead

            def log_message(self, *args):
                pass
        return Handler

    @property
    def numbers(self) -> Counter:
        """How many times each number was sent to."""
        with self._lock:
            return Counter(number for numbers in self.requests for number in numbers)

    def close(self):
        self.release.set()
        self._server.shutdown()
        self._server.server_close()


# --- the worker ---------------------------------------------------------------------------------------------------

def worker_main() -> None:
    """`kheti worker -Q sms.bulk,default -c 1`, its AT client pointed at the stub (FAULT_STUB_URL), PER_REQUEST
    recipients per request. Everything else (settings, boot, the send path) is the real worker's."""
    from celery import signals

    from service.settings import Settings
    from workers import sending
    from workers.app import boot, run_worker

    service, app = boot(Settings.from_env())
    service.provider()._sms._baseUrl = os.environ["FAULT_STUB_URL"] + "/version1"  # the SDK still builds the URL
    sending.PER_REQUEST = PER_REQUEST

    def say_told(**_):
        print(TOLD, flush=True)
    # Connected once the worker starts, so after run_worker's own receiver: the flag is set when the test reads it.
    signals.worker_init.connect(lambda **_: signals.worker_shutting_down.connect(say_told, weak=False), weak=False)
    run_worker(app, ["worker", "--queues", "sms.bulk,default", "--concurrency", "1", "--pool", "prefork",
                     "--loglevel", "WARNING", "--hostname", f"fault{os.getpid()}@localhost",
                     "--without-mingle", "--without-gossip", "--without-heartbeat"])


class Worker:
    def __init__(self, env: dict, log: Path):
        self.log, self._out = log, open(log, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.faults.test_worker_killed"], cwd=ROOT,
                                     env={**os.environ, **env}, stdout=self._out, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def child(self) -> int:
        """The pool process doing the work."""
        def one():
            path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
            children = path.read_text().split() if path.exists() else []
            return int(children[0]) if len(children) == 1 else None
        return wait_for(one, "the worker's pool process", self)

    def said(self, text: str) -> bool:
        return text in self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._out.close()


def wait_for(condition, what: str, worker: Worker | None = None, timeout: float = WAIT_S):
    """Poll until condition() is truthy and return its value; fail naming `what` (and the worker's last words)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            tail = worker.log.read_text(errors="replace")[-3000:] if worker else ""
            pytest.fail(f"still waiting after {timeout} s for {what}\n{tail}")
        time.sleep(0.05)


# --- fixtures -----------------------------------------------------------------------------------------------------

@pytest.fixture
def booted(make_service):
    """This process's Service: the broadcast is created here and its dispatch published to the workers' broker
    (the tests' own Redis db, flushed around each test), over Africa's Talking with header KHETIS (the demo DLT
    templates), no send window."""
    return make_service(celery_broker_url=os.environ["TEST_REDIS_URL"], sms_provider="africastalking",
                        at_username="sandbox", at_api_key="atsk_test", at_sender_id="KHETIS",
                        send_windows=_send_windows(""))


@pytest.fixture
def stub():
    stub = StubAt()
    yield stub
    stub.close()


@pytest.fixture
def workers(database_url, stub, booted, tmp_path):
    """`start()` a worker on the test database; every one started is gone at the end."""
    started: list[Worker] = []
    env = {"DATABASE_URL": database_url, "REDIS_URL": os.environ["TEST_REDIS_URL"],
           "CELERY_BROKER_URL": os.environ["TEST_REDIS_URL"], "SMS_PROVIDER": "africastalking",
           "AT_USERNAME": "sandbox", "AT_API_KEY": "atsk_test", "AT_SENDER_ID": "KHETIS", "SEND_WINDOWS": "none",
           "SMS_RATE_PER_SECOND": "100000", "LOG_LEVEL": "WARNING", "VAR_DIR": str(tmp_path),
           "FAULT_STUB_URL": stub.url, "PYTHONUNBUFFERED": "1"}

    def start() -> Worker:
        started.append(Worker(env, tmp_path / f"worker-{len(started) + 1}.log"))
        return started[-1]
    yield start
    for worker in started:
        worker.stop()
    _, app = booted
    pools.reset()  # this process's producer pools were for this test's broker
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


@pytest.fixture
def farmers(register_farmer) -> list[str]:
    phones = [f"+91981200{i:04d}" for i in range(FARMERS)]
    for i, phone in enumerate(phones):
        register_farmer(phone=phone, name=f"Kisan {i}", locale=("en", "hi", "mr")[i % 3], crops=("cotton",))
    return phones


def _broadcast(sessions, service) -> int:
    """A cotton advisory to Nashik, committed: its dispatch goes to the broker."""
    with sessions() as db, db.begin():
        advisory = db.scalar(select(Advisory.id).join(Crop, Advisory.crop_id == Crop.id)
                             .where(Crop.code == "cotton").order_by(Advisory.id).limit(1))
        broadcast, plan, _ = advisory_broadcast(service, db, advisory, Audience(district="Nashik"), created_by="test")
        assert plan.recipients == FARMERS
        return broadcast.id


def _rows(sessions, broadcast_id: int) -> dict[str, int]:
    with sessions() as db:
        return dict(db.execute(select(OutboundMessage.status, func.count())
                               .where(OutboundMessage.broadcast_id == broadcast_id)
                               .group_by(OutboundMessage.status)).all())


def _phones(sessions, broadcast_id: int, status: str) -> set[str]:
    with sessions() as db:
        return set(db.scalars(select(OutboundMessage.phone).where(OutboundMessage.broadcast_id == broadcast_id,
                                                                  OutboundMessage.status == status)))


def _all_sent(sessions, broadcast_id):
    return lambda: _rows(sessions, broadcast_id) == {"sent": FARMERS}


def _sweep_as_if_later(booted):
    """What beat's sweeper does once SENDING_STALE has passed, run here (it publishes to the workers' broker)."""
    _, app = booted
    later = utcnow() + SENDING_STALE + timedelta(minutes=1)
    return app.tasks[SWEEP_OUTBOX](now=later.isoformat())


# --- SIGKILL ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("killed", ["the pool process", "the whole worker"])
def test_a_worker_killed_mid_broadcast_loses_nothing_and_doubles_at_most_one_request(
        sessions, booted, farmers, stub, workers, killed):
    service, _ = booted
    first = workers()
    broadcast_id = _broadcast(sessions, service)
    wait_for(stub.held.is_set, f"request {HOLD_AT} to reach the provider", first)
    in_flight = set(stub.requests[HOLD_AT - 1])
    if killed == "the pool process":  # the OOM killer's choice: the main process lives on and requeues the task
        os.kill(first.child(), signal.SIGKILL)
        stub.release.set()
        survivor = first  # its next pool process sends the rest of the chunk; the rows in doubt wait for the sweeper
        rest = set(farmers) - in_flight
        wait_for(lambda: _phones(sessions, broadcast_id, "sent") == rest, "the rest of the chunk", survivor)
        in_doubt = _phones(sessions, broadcast_id, "sending")
    else:  # the machine or the container went: nobody requeues anything
        os.killpg(first.proc.pid, signal.SIGKILL)
        first.proc.wait(10)
        stub.release.set()
        answered = {n for request in stub.requests[:HOLD_AT - 1] for n in request}
        in_doubt = _phones(sessions, broadcast_id, "sending")
        assert _phones(sessions, broadcast_id, "sent") == answered  # every answer was recorded as it came
        assert _rows(sessions, broadcast_id)["queued"] == FARMERS - len(answered) - len(in_doubt)
        survivor = workers()
    assert in_doubt == in_flight  # only the request in flight is in doubt
    counts = _sweep_as_if_later(booted)
    assert counts["resent"] == len(in_doubt)
    wait_for(_all_sent(sessions, broadcast_id), "every row sent", survivor)

    sent_to = stub.numbers
    twice = sorted(phone for phone, n in sent_to.items() if n > 1)
    print(f"\n{killed} killed with request {HOLD_AT} of {PER_REQUEST} in flight: {len(stub.requests)} requests, "
          f"{sum(sent_to.values())} messages for {FARMERS} farmers, {len(twice)} twice, swept {counts}")
    assert set(sent_to) == set(farmers)  # nothing lost
    assert max(sent_to.values()) <= 2 and len(twice) <= PER_REQUEST and set(twice) <= in_flight


# --- SIGTERM ------------------------------------------------------------------------------------------------------

def test_a_worker_told_to_stop_records_the_request_in_flight_and_hands_back_the_rest(
        sessions, booted, farmers, stub, workers):
    service, _ = booted
    first = workers()
    broadcast_id = _broadcast(sessions, service)
    wait_for(stub.held.is_set, f"request {HOLD_AT} to reach the provider", first)
    first.proc.send_signal(signal.SIGTERM)  # to the main process only, as docker stop and Kubernetes send it
    wait_for(lambda: first.said(TOLD), "the worker to take the signal", first)
    stub.release.set()  # the provider answers the request in flight
    assert first.proc.wait(WAIT_S) == 0

    went_out = {n for request in stub.requests for n in request}
    assert len(stub.requests) == HOLD_AT  # it stopped after the request in flight, not after the whole chunk
    rows = _rows(sessions, broadcast_id)
    assert "sending" not in rows  # the answer to the last request was recorded before it stopped
    assert _phones(sessions, broadcast_id, "sent") == went_out
    assert rows["queued"] == FARMERS - len(went_out)

    second = workers()  # the rest was handed back to the queue: the next worker sends it, nobody twice
    wait_for(_all_sent(sessions, broadcast_id), "every row sent", second)
    assert stub.numbers == Counter(farmers)


if __name__ == "__main__":
    worker_main()
