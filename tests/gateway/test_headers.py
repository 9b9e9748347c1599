"""The headers every answer carries, whichever route made it: not framed, not sniffed, no referrer sent away, not
cached when it may hold a farmer's data, HSTS behind https; and a Server header that names no product."""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest

from gateway import create_app
from service.voice_audio import clip_id
from tests.conftest import SEED_DAY

# One of each kind of answer: a webhook, health, an error, a console page, the API, a payment page, the call audio.
ANSWERS = [
    ("POST", "/africastalking/ussd", {"sessionId": "ATUid_h1", "serviceCode": "*384*1#", "phoneNumber": "+919812345678",
                                      "networkCode": "40410", "text": ""}),
    ("GET", "/healthz", None),
    ("GET", "/readyz", None),
    ("GET", "/no/such/page", None),
    ("GET", "/console/login", None),
    ("GET", "/api/v1/farmers", None),
    ("GET", "/api/v1/docs", None),
    ("GET", "/payments/sandbox/unknown", None),
    ("POST", "/twilio/sms", {"From": "+919812345678", "Body": "hi"}),
]


def _ask(client, method, path, form, **kwargs):
    return client.post(path, data=form, **kwargs) if method == "POST" else client.get(path, **kwargs)


@pytest.mark.parametrize("method, path, form", ANSWERS, ids=[f"{m} {p}" for m, p, _ in ANSWERS])
def test_every_answer_is_neither_framed_nor_sniffed_nor_cached_and_sends_no_referrer(client, method, path, form):
    response = _ask(client, method, path, form)
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    [policy] = headers.getlist("Content-Security-Policy")  # one policy, not two that a browser would both apply
    assert "frame-ancestors 'none'" in policy
    assert headers["Referrer-Policy"] in ("no-referrer", "same-origin")
    assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers  # plain http: HSTS would mean nothing, or lock a LAN out


def test_the_console_keeps_its_own_content_policy(client):
    policy = client.get("/console/login").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_the_call_audio_stays_cacheable(settings, backends, tmp_path):
    """Clips say nothing about anyone, and the provider fetches them on every call: they keep their own caching."""
    app = create_app(replace(settings, var_dir=str(tmp_path)), backends=backends, today=lambda: SEED_DAY)
    clip = clip_id("namaste")
    (tmp_path / "voice" / "hi").mkdir(parents=True)
    (tmp_path / "voice" / "hi" / f"{clip}.wav").write_bytes(b"RIFF....WAVE")
    response = app.test_client().get(f"/voice/audio/hi/{clip}.wav")
    assert response.status_code == 200
    assert "no-store" not in response.headers["Cache-Control"] and "max-age=86400" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_hsts_once_the_request_came_over_https(client):
    assert client.get("/healthz", base_url="https://kheti.example.org").headers["Strict-Transport-Security"] \
        .startswith("max-age=")
    assert client.get("/console/login", base_url="https://kheti.example.org").headers["Strict-Transport-Security"]


@pytest.mark.parametrize("trusted, expected", [(1, True), (0, False)])
def test_hsts_behind_a_proxy_only_when_the_proxy_is_trusted(settings, backends, trusted, expected):
    """X-Forwarded-Proto is believed from a trusted load balancer only: anyone can send the header."""
    app = create_app(replace(settings, trusted_proxies=trusted), backends=backends, today=lambda: SEED_DAY)
    response = app.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "1.2.3.4"})
    assert ("Strict-Transport-Security" in response.headers) is expected


# The web servers themselves, as `kheti serve` runs them.

KHETI = shutil.which("kheti", path=str(Path(sys.executable).parent)) or "kheti"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_header(url: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.headers.get("Server", "")
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.parametrize("mode", [[], ["--prod"]], ids=["werkzeug", "gunicorn"])
def test_the_server_header_names_no_product_or_version(tmp_path, mode):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "CELERY_", "TEST_"))}
    server = subprocess.Popen([KHETI, "serve", "--port", str(port), *mode],
                              env={**env, "VAR_DIR": str(tmp_path / "var"), "WEB_CONCURRENCY": "1"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        banner = _server_header(f"http://127.0.0.1:{port}/healthz")
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert banner == "kheti"
