import io
import json
import logging

import pytest

from service import logs
from service.logs import JsonFormatter, configure_logging


def _json_lines(caplog):
    formatter = JsonFormatter()
    return [json.loads(formatter.format(record)) for record in caplog.records]


def test_every_request_is_logged_with_its_id(client, caplog):
    caplog.set_level(logging.INFO)
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a"})
    assert response.headers["X-Request-ID"] == "lb-7f3a"
    access = [e for e in _json_lines(caplog) if e.get("route") == "/healthz"]
    assert access and access[-1]["request_id"] == "lb-7f3a" and access[-1]["status"] == 200


def test_an_unsafe_request_id_is_replaced(client):
    unsafe = "<script>alert(1)</script> " + "x" * 80
    response = client.get("/healthz", headers={"X-Request-ID": unsafe})
    assert response.headers["X-Request-ID"] != unsafe
    assert len(response.headers["X-Request-ID"]) == 32


def test_phone_numbers_never_reach_the_log_in_the_clear():
    record = logging.makeLogRecord({
        "name": "kheti.test", "levelno": logging.INFO, "levelname": "INFO",
        "msg": "hop from %s", "args": ("+919876543210",), "phone": "+254712345678",
    })
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["msg"] == "hop from +91******3210"
    assert entry["phone"] == "+254*****5678"
    assert "9876543210" not in line and "712345678" not in line


def test_log_lines_are_single_json_objects_even_for_devanagari_and_tracebacks():
    try:
        raise ValueError("गेहूं +919876543210")
    except ValueError:
        import sys
        record = logging.makeLogRecord({"msg": "failed", "levelname": "ERROR", "exc_info": sys.exc_info()})
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert "गेहूं +91******3210" in entry["exc"]


# --- one set-up for every process ----------------------------------------------------------------------------------

@pytest.fixture
def log_output():
    """What our root handler writes, for the length of a test; the set-up as it was is put back after."""
    root = logging.getLogger()
    before = (root.level, list(root.handlers), logs._known_secrets)
    configure_logging("INFO")
    ours = next(h for h in root.handlers if getattr(h, "_kheti", False))
    stream = io.StringIO()
    old_stream = ours.setStream(stream)
    yield stream
    ours.setStream(old_stream)
    root.setLevel(before[0])
    root.handlers[:] = before[1]
    logs._known_secrets = before[2]
    ours.setFormatter(JsonFormatter())


def test_celery_and_gunicorn_loggers_lose_their_own_handlers_and_come_through_ours(log_output):
    """Celery's and gunicorn's own handlers print unmasked lines: after the set-up, their records reach only ours."""
    theirs = logging.StreamHandler(io.StringIO())
    for name in ("gunicorn.error", "celery.app.trace"):
        logging.getLogger(name).addHandler(theirs)
    logging.getLogger().addHandler(theirs)
    configure_logging("INFO")
    logging.getLogger("celery.app.trace").info("Task %s[%s] received", "workers.tasks.send_sms", "ab12",
                                               extra={"data": {"args": ("+919876543210", "Kanda 2,150")}})
    assert theirs.stream.getvalue() == "" and theirs not in logging.getLogger().handlers
    entry = json.loads(log_output.getvalue())
    assert entry["data"] == {"args": ["+91******3210", "Kanda 2,150"]}


def test_no_secret_reaches_a_log_line(log_output):
    configure_logging("INFO", secrets=["at-webhook-s3cret", "sk_live_abcdef123456"])
    log = logging.getLogger("gunicorn.error")
    log.error("Error handling request %s", "/africastalking/ussd?token=at-webhook-s3cret&x=1")
    log.error("Error handling request %s", "/africastalking/sms?token=a-token-we-were-never-told")
    log.error("broker at amqp://kheti:rabbit-pass@mq:5672//, razorpay key sk_live_abcdef123456")
    written = log_output.getvalue()
    for secret in ("at-webhook-s3cret", "a-token-we-were-never-told", "rabbit-pass", "sk_live_abcdef123456"):
        assert secret not in written
    assert "/africastalking/ussd?token=[redacted]&x=1" in written
    assert "amqp://kheti:[redacted]@mq:5672//" in written


def test_gunicorns_logger_class_sets_up_the_one_format(log_output, monkeypatch):
    from gunicorn.config import Config

    from gateway.gunicorn_conf import OneLog
    monkeypatch.setenv("AT_WEBHOOK_TOKEN", "token-from-the-environment")
    monkeypatch.setenv("LOG_FORMAT", "text")
    gunicorn_log = OneLog(Config())
    gunicorn_log.error("Error handling request /africastalking/ussd?token=token-from-the-environment")
    gunicorn_log.error("Booting worker with pid: %s", 4242)
    lines = log_output.getvalue().splitlines()
    assert len(lines) == 2, lines  # once each, through our handler only
    assert "token-from-the-environment" not in log_output.getvalue()
    assert lines[1].endswith("ERROR gunicorn.error: Booting worker with pid: 4242")


def test_the_text_format_is_for_a_person(log_output):
    configure_logging("INFO", fmt="text")
    logging.getLogger("kheti.sms.console").info("SMS to %s: %s", "+919876543210", "Namaskar",
                                                 extra={"outbound_id": 7})
    line = log_output.getvalue().strip()
    assert " INFO  kheti.sms.console: SMS to +91******3210: Namaskar [outbound_id=7]" in line
