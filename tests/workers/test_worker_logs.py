"""A real `kheti worker` process writes its lines through the service's one logging set-up: Celery's own handlers
would print every phone number of a broadcast in the clear (65,697 such lines in one run before this was fixed)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis

if not os.environ.get("TEST_REDIS_URL"):
    pytest.skip("a real worker needs a real broker (TEST_REDIS_URL)", allow_module_level=True)

KHETI = shutil.which("kheti", path=str(Path(sys.executable).parent)) or "kheti"
BROKER_URL = urlunsplit(urlsplit(os.environ["TEST_REDIS_URL"])._replace(path="/14"))


@pytest.fixture
def env(tmp_path):
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("DATABASE_", "REDIS_", "CELERY_", "TEST_", "LOG_"))}
    env = {**clean, "VAR_DIR": str(tmp_path / "var"), "CELERY_BROKER_URL": BROKER_URL}
    broker = redis.Redis.from_url(BROKER_URL)
    broker.flushdb()
    for step in (["db", "upgrade"], ["seed", "--demo"]):  # the demo seed registers DLT templates
        assert subprocess.run([KHETI, *step], env=env, capture_output=True, timeout=120).returncode == 0
    yield env
    broker.flushdb()
    broker.close()


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_a_workers_lines_hold_no_phone_number(env, tmp_path, log_format):
    env = {**env, "LOG_FORMAT": log_format}
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as out:
        worker = subprocess.Popen([KHETI, "worker", "-Q", "sms.priority", "-c", "1", "--without-heartbeat",
                                   "--without-gossip", "--without-mingle"], env=env, stdout=out, stderr=out)
    try:
        sent = subprocess.run([KHETI, "sms", "send", "9876543210", "Call 9812345678"],
                              env=env, capture_output=True, text=True, timeout=60)
        assert sent.returncode == 0, sent.stderr
        _wait_for(lambda: "SMS to +91******3210" in log_path.read_text(), worker)
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    written = log_path.read_text()
    assert "9876543210" not in written and "9812345678" not in written
    assert "Task workers.tasks.send_sms" in written  # Celery's own lines came through our handler too
    lines = [line for line in written.splitlines() if line.strip()]
    if log_format == "json":
        # Every line is one object, but Celery's shutdown notice, which it prints past logging to the terminal.
        entries = [json.loads(line) for line in lines if not line.startswith("worker: Warm shutdown")]
        assert any(e["logger"] == "kheti.sms.console" and e["msg"].startswith("SMS to +91******3210") for e in entries)
    else:
        assert any(" INFO  kheti.sms.console: SMS to +91******3210 " in line for line in lines)


def _wait_for(condition, worker, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        assert worker.poll() is None, "the worker stopped"
        time.sleep(0.2)
    raise AssertionError("the worker did not send the SMS in time")
