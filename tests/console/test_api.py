"""API v1 as operators' tools call it: each key acts with its operator's role and stops at once when revoked or
the operator is disabled; numbers masked unless revealed (audited); pages; a rate per key; the OpenAPI document
describes every route."""
from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from console.api import ROUTES
from farmdb.models import AuditEvent, Operator
from gateway import create_app
from service.operators import new_api_key, revoke_key, set_disabled
from tests.conftest import SEED_DAY

BOOTSTRAP = "bootstrap-admin-key-for-tests"


@pytest.fixture
def api(settings, backends):
    app = create_app(replace(settings, admin_api_key=BOOTSTRAP), backends=backends, today=lambda: SEED_DAY)
    app.config.update(TESTING=True)
    return app.test_client()


@pytest.fixture
def key(operator, sessions):
    """`key("viewer")`: a new operator of that role and an API key acting as them."""
    def make(role: str, username: str | None = None) -> str:
        operator_id = operator(username or f"{role}-bot", role)
        with sessions() as db, db.begin():
            return new_api_key(db, db.get(Operator, operator_id), "tests")[1]
    return make


def _as(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_every_api_route_declares_a_role_and_is_in_the_openapi_document(api):
    document = api.get("/api/v1/openapi.json").json
    for method, rule, view in ROUTES:
        assert view.required_role in ("viewer", "agronomist", "admin"), rule
        path = rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        operation = document["paths"][path][method.lower()]
        assert f"Needs the {view.required_role} role." in operation["description"]
    assert document["components"]["securitySchemes"]["apiKey"] == {"type": "http", "scheme": "bearer"}


def test_a_viewer_reads_and_an_agronomist_works_the_desk(api, key, ticket, db):
    number = ticket(description="white flies")
    viewer, agronomist = key("viewer"), key("agronomist", "meera")
    listed = api.get("/api/v1/tickets", headers=_as(viewer)).json
    assert [t["ticket"] for t in listed["items"]] == [number] and listed["items"][0]["description"] == "white flies"
    assert api.post(f"/api/v1/tickets/{number}/claim", headers=_as(viewer)).status_code == 403
    claimed = api.post(f"/api/v1/tickets/{number}/claim", headers=_as(agronomist))
    assert claimed.status_code == 200 and claimed.json["assigned_to"] == "meera"
    answered = api.post(f"/api/v1/tickets/{number}/answer", json={"text": "Yellow sticky traps."},
                        headers=_as(agronomist))
    assert answered.json["status"] == "answered"
    closed = api.post(f"/api/v1/tickets/{number}/close", json={"outcome": "answered"}, headers=_as(agronomist))
    assert closed.json["status"] == "closed"
    again = api.post(f"/api/v1/tickets/{number}/close", json={"outcome": "answered"}, headers=_as(agronomist))
    assert again.status_code == 409 and "closed already" in again.json["message"]
    log = db.execute(select(AuditEvent.actor, AuditEvent.action, AuditEvent.detail)
                     .where(AuditEvent.target_type == "ticket").order_by(AuditEvent.id)).all()
    assert [(a, b) for a, b, _ in log] == [("meera", "ticket_claimed"), ("meera", "ticket_answered"),
                                           ("meera", "ticket_closed")]
    assert all(detail["via"] == "api" for _, _, detail in log)


@pytest.mark.parametrize("body, reason", [
    (None, "send a JSON object"),
    ({"text": ""}, "text is the answer"),
    ({"text": "x" * 481}, "text is the answer"),
    ({"text": "ok", "cc": "x"}, "unknown field(s): cc"),
])
def test_a_bad_answer_is_a_400_with_its_reason(api, key, ticket, body, reason):
    number = ticket()
    response = api.post(f"/api/v1/tickets/{number}/answer", json=body, headers=_as(key("agronomist")))
    assert response.status_code == 400 and reason in response.json["message"]


def test_numbers_are_masked_unless_an_agronomist_reveals_one_audited(api, key, register_farmer, db):
    farmer_id = register_farmer()
    viewer, agronomist = key("viewer"), key("agronomist", "meera")
    assert api.get(f"/api/v1/farmers/{farmer_id}", headers=_as(viewer)).json["phone"] == "+91******5678"
    assert api.get(f"/api/v1/farmers/{farmer_id}?reveal=true", headers=_as(viewer)).status_code == 403
    shown = api.get(f"/api/v1/farmers/{farmer_id}?reveal=true", headers=_as(agronomist)).json
    assert shown["phone"] == "+919812345678"
    assert db.scalar(select(AuditEvent.actor).where(AuditEvent.action == "farmer_number_shown")) == "meera"
    assert api.get("/api/v1/farmers/999999", headers=_as(viewer)).status_code == 404


def test_farmers_come_in_pages(api, key, register_farmer):
    for n in range(3):
        register_farmer(phone=f"+9198222000{n:02d}", name=f"Farmer {n}")
    viewer = key("viewer")
    first = api.get("/api/v1/farmers?per_page=2", headers=_as(viewer)).json
    second = api.get("/api/v1/farmers?per_page=2&page=2", headers=_as(viewer)).json
    assert (first["total"], first["pages"], len(first["items"]), len(second["items"])) == (3, 2, 2, 1)
    assert api.get("/api/v1/farmers?per_page=1000", headers=_as(viewer)).status_code == 400


def test_a_revoked_key_or_a_disabled_operator_is_refused_at_once(api, key, sessions):
    first, second = key("viewer", "one"), key("viewer", "two")
    assert api.get("/api/v1/tickets", headers=_as(first)).status_code == 200
    with sessions() as db, db.begin():
        from farmdb.models import ApiKey
        revoke_key(db.scalar(select(ApiKey).join(Operator).where(Operator.username == "one")))
        set_disabled(db.scalar(select(Operator).where(Operator.username == "two")), True)
    for dead in (first, second):
        response = api.get("/api/v1/tickets", headers=_as(dead))
        assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"


def test_the_bootstrap_key_reads_as_an_admin_but_is_nobody_at_the_desk(api, ticket):
    number = ticket()
    assert api.get("/api/v1/tickets", headers=_as(BOOTSTRAP)).status_code == 200
    response = api.post(f"/api/v1/tickets/{number}/claim", headers=_as(BOOTSTRAP))
    assert response.status_code == 403 and "use an operator's key" in response.json["message"]


def test_each_key_has_its_rate_and_is_told_when_to_come_back(api, key):
    viewer, other = key("viewer", "busy"), key("viewer", "calm")
    statuses = [api.get("/api/v1/tickets", headers=_as(viewer)).status_code for _ in range(121)]
    assert statuses[:120] == [200] * 120 and statuses[120] == 429
    refused = api.get("/api/v1/tickets", headers=_as(viewer))
    assert refused.json["error"] == "too_many_requests" and int(refused.headers["Retry-After"]) > 0
    assert api.get("/api/v1/tickets", headers=_as(other)).status_code == 200  # another key is not held up


def test_the_docs_are_served_from_here(api):
    page = api.get("/api/v1/docs")
    assert page.status_code == 200 and "/api/v1/openapi.json" in page.get_data(as_text=True)
    assert api.get("/api/v1/docs/swagger-ui-bundle.js").status_code == 200


def _api_rules(api):
    return [rule for rule in api.application.url_map.iter_rules() if rule.endpoint.startswith(("api.", "api_legacy."))]


@pytest.mark.parametrize("number", ["99999999999999999999", "2147483648", "-1", "0", "1e3", "\u0661"])
def test_an_id_no_row_can_have_is_a_404_on_every_route_old_and_new(api, number):
    routes = [rule for rule in _api_rules(api) if "int" in {type(c).__name__ for c in rule._converters.values()}
              or any(c.regex == r"\d+" for c in rule._converters.values())]
    assert {r.rule for r in routes} >= {"/api/v1/farmers/<int:farmer_id>", "/api/v1/broadcasts/<int:broadcast_id>",
                                        "/api/broadcasts/<int:broadcast_id>"}
    for rule in routes:
        path = rule.rule.split("<")[0] + number + rule.rule.split(">", 1)[1]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = api.open(path, method=method, headers=_as(BOOTSTRAP))
            assert response.status_code == 404 and response.is_json, (method, path, response.status_code)


@pytest.mark.parametrize("query", ["page=99999999999999999999", "per_page=-1", "page=1e3", "page=0"])
def test_a_page_out_of_range_is_a_400(api, query):
    for path in ("/api/v1/farmers", "/api/v1/tickets"):
        response = api.get(f"{path}?{query}", headers=_as(BOOTSTRAP))
        assert response.status_code == 400 and "page" in response.json["message"], path


@pytest.mark.parametrize("advisory_id", [10**20, 2**31, -1, 0, 1.5, True, "1", None])
def test_an_advisory_id_no_row_can_have_is_a_400_on_the_old_path_and_the_new(api, advisory_id):
    for path in ("/api/broadcasts", "/api/v1/broadcasts"):
        response = api.post(path, json={"advisory_id": advisory_id, "preview": True}, headers=_as(BOOTSTRAP))
        assert response.status_code == 400 and "advisory_id" in response.json["message"], path


@pytest.mark.parametrize("body", [b"[" * 20_000, b'{"text": ' + b"[" * 20_000, b'{"text": "\\ud800"}',
                                  b'{"advisory_id": 1, "preview": true, "crop": "\\udfff"}'])
def test_a_json_body_nested_deeply_or_with_half_a_character_is_a_400(api, key, ticket, body):
    number, agronomist = ticket(), key("agronomist")
    for method, path in (("POST", "/api/broadcasts"), ("POST", "/api/v1/broadcasts"),
                         ("POST", f"/api/v1/tickets/{number}/answer"), ("POST", f"/api/v1/tickets/{number}/close")):
        response = api.open(path, method=method, data=body, content_type="application/json",
                            headers=_as(agronomist if "tickets" in path else BOOTSTRAP))
        assert response.status_code == 400, (path, response.get_data(as_text=True)[:200])
