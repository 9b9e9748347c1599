import pytest
from flask import abort, request


@pytest.fixture
def app_with_faults(app):
    @app.post("/test/needs-field")
    def needs_field():  # reads the form as a webhook does: that is when an oversized body is refused
        if "phoneNumber" not in request.form:
            abort(400, description="missing form field: phoneNumber")
        return "ok"

    @app.get("/test/boom")
    def boom():
        raise RuntimeError("secret internals at /srv/app.py line 42")

    return app


@pytest.mark.parametrize("method, path, kwargs, status, reason", [
    ("get", "/no/such/page", {}, 404, "not_found"),
    ("post", "/healthz", {}, 405, "method_not_allowed"),
    ("post", "/test/needs-field", {}, 400, "bad_request"),
    ("post", "/test/needs-field", {"data": {"phoneNumber": "+919876543210", "text": "1*" * 35_000}}, 413,
     "request_entity_too_large"),
    ("get", "/test/boom", {}, 500, "internal_server_error"),
])
def test_errors_are_short_json_with_a_reason(app_with_faults, method, path, kwargs, status, reason):
    response = getattr(app_with_faults.test_client(), method)(path, **kwargs)
    assert response.status_code == status
    assert response.is_json
    assert response.json["error"] == reason
    assert response.json["message"]


def test_a_405_lists_the_allowed_methods(client):
    response = client.delete("/readyz")
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= {"GET"}


def test_a_500_reveals_no_internals(app_with_faults, caplog):
    response = app_with_faults.test_client().get("/test/boom")
    body = response.get_data(as_text=True)
    assert "secret internals" not in body and "Traceback" not in body and "RuntimeError" not in body
    assert any("unhandled error" in r.getMessage() and r.exc_info for r in caplog.records)


def test_a_400_keeps_the_reason(app_with_faults):
    response = app_with_faults.test_client().post("/test/needs-field")
    assert response.json["message"] == "missing form field: phoneNumber"


@pytest.mark.parametrize("method, path, kwargs", [
    ("GET", "/api/v1/farmers?q=a%00b", {}),
    ("POST", "/api/v1/tickets/1/answer", {"json": {"text": "a\u0000b"}}),
    ("GET", "/console/farmers?q=a%00b", {}),
])
def test_a_nul_character_is_a_400_with_its_reason_not_a_database_error(client, method, path, kwargs):
    response = client.open(path, method=method, headers={"Authorization": "Bearer x"}, **kwargs)
    assert response.status_code == 400 and "NUL character" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/plivo/sms", "/twilio/sms", "/africastalking/ussd", "/payments/razorpay/webhook",
                                  "/api/v1/farmers", "/healthz"])
def test_a_raw_byte_in_the_query_is_a_400_with_its_reason_on_every_route(client, path):
    """Not URL-encoded (a byte over 127 straight in the request line): the query cannot be read, so nothing is."""
    response = client.post(path, environ_overrides={"QUERY_STRING": "token=\xff"})
    assert response.status_code == 400
    assert "URL-encoded" in response.json["message"]
