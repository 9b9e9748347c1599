import json
import logging

from service.logs import JsonFormatter


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
