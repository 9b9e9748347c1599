"""The `kheti` command as an operator meets it: the installed console script, in a clean environment."""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

KHETI = shutil.which("kheti", path=str(Path(sys.executable).parent)) or "kheti"


def _env(extra=None) -> dict:
    """The caller's environment without any service configuration: the embedded default."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "CELERY_", "TEST_"))}
    return {**clean, **(extra or {})}


def _run(*args, env=None, timeout=60):
    return subprocess.run([KHETI, *args], capture_output=True, text=True, timeout=timeout, env=_env(env))


def test_a_bad_database_url_stops_start_up_with_one_line():
    started = time.perf_counter()
    result = _run("serve", env={"DATABASE_URL": "nonsense"})
    assert result.returncode == 2
    assert time.perf_counter() - started < 10
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DATABASE_URL" in lines[0] and "nonsense" in lines[0]
    assert "Traceback" not in result.stderr


def test_config_shows_settings_without_secrets():
    result = _run("config", env={"AT_WEBHOOK_TOKEN": "hunter2", "REDIS_URL": "redis://:pw@cache:6379/0"})
    assert result.returncode == 0
    assert "AT_WEBHOOK_TOKEN       (set, hidden)" in result.stdout
    assert "redis://:***@cache:6379/0" in result.stdout and "hunter2" not in result.stdout


def test_config_shows_which_provider_each_country_goes_by():
    result = _run("config", env={"SMS_PROVIDER": "console", "PROVIDER_ROUTES": "+254=africastalking,+91=plivo",
                                 "AT_USERNAME": "sandbox", "AT_API_KEY": "atsk_test", "PLIVO_AUTH_ID": "MA" + "A" * 18,
                                 "PLIVO_AUTH_TOKEN": "plivo-secret", "PLIVO_FROM": "KHETIS"})
    assert result.returncode == 0, result.stderr
    assert "PROVIDER_ROUTES        +254=africastalking,+91=plivo" in result.stdout
    assert "SMS and the expert desk's calls go: +254 by africastalking, +91 by plivo, any other number by console" \
        in result.stdout
    assert "plivo-secret" not in result.stdout


def test_a_worker_needs_a_broker():
    result = _run("worker")
    assert result.returncode == 2 and "CELERY_BROKER_URL" in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_upgrade_seed_serve_on_the_embedded_default(tmp_path):
    env = {"VAR_DIR": str(tmp_path / "var")}
    assert _run("db", "upgrade", env=env).returncode == 0
    seeded = _run("seed", "--demo", env=env)  # `make run` seeds the demo farmer and prices
    assert seeded.returncode == 0 and "districts 640" in seeded.stderr
    sent = _run("sms", "send", "9876543210", "Test from the operator", env=env)
    assert sent.returncode == 0 and "to +91******3210: 1 segment(s) GSM-7, sent" in sent.stderr
    assert "Test from the operator" in sent.stderr  # the console sender's log line

    for mode in ([], ["--prod"]):  # the development server, then gunicorn as in the image
        port = _free_port()
        server = subprocess.Popen([KHETI, "serve", "--port", str(port), *mode],
                                  env=_env({**env, "WEB_CONCURRENCY": "2"}),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_until_serving(port)
            assert _get(f"http://127.0.0.1:{port}/healthz") == 200
            assert _get(f"http://127.0.0.1:{port}/readyz") == 200
            demo = _run("simulate", "ussd", "--url", f"http://127.0.0.1:{port}", "--inputs", "2,2", env=env)
            assert demo.returncode == 0, demo.stderr
            assert "Namaskar Ramesh!" in demo.stdout and "Kanda" in demo.stdout  # the demo farmer, in Marathi
            assert "-- hung up --" in demo.stdout
        finally:
            server.terminate()
            server.wait(timeout=10)
    assert (tmp_path / "var" / "kheti.sqlite3").exists()


def _wait_until_serving(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            _get(f"http://127.0.0.1:{port}/healthz")
            return
        except OSError:
            time.sleep(0.2)


@pytest.mark.parametrize("provider", [
    {"SMS_PROVIDER": "africastalking", "AT_USERNAME": "sandbox", "AT_API_KEY": "atsk_test", "AT_SENDER_ID": "KHETI"},
    {"SMS_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM": "+15005550006"},
    {"SMS_PROVIDER": "plivo", "PLIVO_AUTH_ID": "MA" + "A" * 18, "PLIVO_AUTH_TOKEN": "t", "PLIVO_FROM": "KHETIS"},
], ids=["africastalking", "twilio", "plivo"])
def test_a_configured_sms_provider_starts(tmp_path, provider):
    """Its sender is built at start-up (no request to the provider) and the gateway serves."""
    port, log = _free_port(), tmp_path / "serve.log"
    with log.open("w") as stderr:
        server = subprocess.Popen([KHETI, "serve", "--port", str(port)],
                                  env=_env({"VAR_DIR": str(tmp_path / "var"), **provider}),
                                  stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        _wait_until_serving(port)
        assert server.poll() is None, log.read_text()
        assert _get(f"http://127.0.0.1:{port}/healthz") == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
