"""Redis paused, then resumed; killed, then started again: a Redis of the test's own on a spare port, so the pause
touches nothing else. During the fault a caller hears "busy" within two seconds and an SMS webhook gets 503 (the
provider sends it again); after it, the very next hop of the same caller is answered as on any day, with no
restart. (Before the fenced lock, a paused Redis ran the timed-out hop's lock request on resuming, and the caller
heard "busy" for the next 14 s.)"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import replace

import pytest
import redis

from gateway import create_app
from service.connections import Backends, connect_redis
from simulator.ussd import UssdPhone
from tests.conftest import SEED_DAY

BOUND_S = 2.0
FARMER = "+919812345678"


class OwnRedis:
    def __init__(self, tmp_path):
        self.port, self.dir, self.process = _free_port(), tmp_path, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        probe = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                if probe.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def pause(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)
        redis.Redis(port=self.port).ping()  # answered once it has run what was waiting for it

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(5)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.kill()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def own_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server")
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(settings, engine, sessions, reads, own_redis):
    # Everything that talks to Redis talks to this one (the console's and the API's limiter too).
    backends = Backends(engine=engine, sessions=sessions, reads=reads, redis=connect_redis(own_redis.url))
    app = create_app(replace(settings, redis_url=own_redis.url), backends=backends, today=lambda: SEED_DAY)
    app.config.update(TESTING=True)
    return app.test_client()


@pytest.fixture
def phone(client, register_farmer):
    register_farmer(phone=FARMER, locale="en")

    def post(form):
        response = client.post("/africastalking/ussd", data=form)
        return response.status_code, response.get_data(as_text=True)
    return UssdPhone(post=post, phone=FARMER)


def _timed_dial(phone: UssdPhone) -> tuple[str, float]:
    started = time.monotonic()
    screen = phone.dial()
    return screen, time.monotonic() - started


def _sms(client, text: str, message_id: str):
    return client.post("/africastalking/sms", data={"from": FARMER, "to": "12345", "text": text,
                                                    "date": "2026-07-15 10:00:00", "id": message_id})


def test_after_a_pause_the_next_hop_is_answered(phone, client, own_redis):
    assert "Asha" in phone.dial()  # as on any day
    own_redis.pause()
    try:
        screen, took = _timed_dial(phone)
        assert phone.ended and took < BOUND_S, (screen, took)  # "busy", in time
        assert _sms(client, "kanda bhav", "ATXid_paused1").status_code == 503  # AT sends it again
    finally:
        own_redis.resume()  # the hop's and the SMS's lock requests run now: too late to take a lock
    screen, took = _timed_dial(phone)
    assert not phone.ended and "Asha" in screen and took < 0.5, (screen, took)
    assert _sms(client, "kanda bhav", "ATXid_paused1").status_code == 200  # the same SMS, delivered again


def test_after_a_restart_the_next_hop_is_answered(phone, own_redis):
    assert "Asha" in phone.dial()
    own_redis.kill()
    screen, took = _timed_dial(phone)
    assert phone.ended and took < BOUND_S, (screen, took)
    own_redis.start()  # empty (nothing kept on disk): the caller starts afresh
    screen, took = _timed_dial(phone)
    assert not phone.ended and "Asha" in screen, screen
