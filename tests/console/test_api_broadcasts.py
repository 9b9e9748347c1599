"""Broadcasts through the API, created and followed over JSON behind a bearer key: at /api/v1 and, for one release,
at the admin API's old /api paths, with ADMIN_API_KEY as the bootstrap admin key."""
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import select

from farmdb.models import Advisory, Crop
from gateway import create_app
from tests.conftest import SEED_DAY

KEY = "s3cret-admin-key"


@pytest.fixture
def api(settings, backends, clock):
    app = create_app(replace(settings, admin_api_key=KEY), backends=backends, today=lambda: SEED_DAY)
    app.config.update(TESTING=True)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {KEY}"
    return client


@pytest.fixture
def cotton(sessions, register_farmer) -> int:
    register_farmer(phone="+919800000101", locale="mr", district="Nashik", crops=("cotton",))
    register_farmer(phone="+919800000102", locale="hi", district="Nashik", crops=("cotton",))
    with sessions() as db:
        return db.scalar(select(Advisory.id).join(Crop).where(Crop.code == "cotton").order_by(Advisory.id))


@pytest.mark.parametrize("path", ["/api/broadcasts", "/api/v1/broadcasts"])
def test_without_a_configured_key_the_api_refuses_everything(client, path):
    response = client.post(path, json={"advisory_id": 1}, headers={"Authorization": "Bearer x"})
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {KEY}", f"Bearer {KEY}x", "Bearer "])
def test_a_missing_or_wrong_key_is_401(api, header):
    headers = {"Authorization": header} if header is not None else {"Authorization": ""}
    response = api.get("/api/broadcasts/1", headers=headers)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"


def test_preview_then_create_then_follow(api, cotton):
    preview = api.post("/api/broadcasts", json={"advisory_id": cotton, "district": "Nashik", "preview": True})
    assert preview.status_code == 200
    plan = preview.get_json()
    assert plan["recipients"] == 2 and plan["problems"] == [] and plan["currency"] == "INR"
    assert {p["locale"] for p in plan["languages"]} == {"hi", "mr"}

    created = api.post("/api/broadcasts", json={"advisory_id": cotton, "district": "Nashik",
                                                "created_by": "agronomist@kvk-nashik"})
    assert created.status_code == 201
    status = created.get_json()
    assert status["recipients"] == 2 and status["counts"]["sent"] == 2 and status["finished"]
    assert status["created_by"] == "agronomist@kvk-nashik" and status["audience"] == {"crop": "cotton",
                                                                                        "district": "Nashik"}
    assert status["segments"] == plan["segments"]
    assert Decimal(status["estimated_cost"]) == Decimal(plan["estimated_cost"])

    again = api.post("/api/broadcasts", json={"advisory_id": cotton, "district": "Nashik"})
    assert again.status_code == 200 and again.get_json()["id"] == status["id"]  # the same one: nobody twice
    assert api.get(f"/api/broadcasts/{status['id']}").get_json()["counts"]["sent"] == 2


@pytest.mark.parametrize("body, status, reason, says", [
    ("not json", 400, "bad_request", "send a JSON object"),
    ([1, 2], 400, "bad_request", "send a JSON object"),
    ({}, 400, "bad_request", "give either advisory_id or words (the text in each language)"),
    ({"advisory_id": "7"}, 400, "bad_request", "advisory_id is a number from 1 to 2147483647"),
    ({"advisory_id": True}, 400, "bad_request", "advisory_id is a number from 1 to 2147483647"),
    ({"advisory_id": 1, "crops": "x"}, 400, "bad_request", "unknown field(s): crops"),
    ({"advisory_id": 1, "district": 5}, 400, "bad_request", "short strings"),
    ({"advisory_id": 1, "category": "service_implicit"}, 400, "bad_request", "service_explicit or promotional"),
    ({"advisory_id": 999999}, 400, "broadcast_refused", "no advisory 999999"),
    ({"advisory_id": 2**100}, 400, "bad_request", "a number from 1 to 2147483647"),
    ({"advisory_id": "COTTON", "district": "Atlantis"}, 400, "bad_request", "advisory_id"),
])
def test_a_bad_request_gets_a_400_with_its_reason(api, cotton, body, status, reason, says):
    if isinstance(body, str):
        response = api.post("/api/broadcasts", data=body, content_type="application/json")
    else:
        response = api.post("/api/broadcasts", json=body)
    assert response.status_code == status
    assert response.get_json()["error"] == reason and says in response.get_json()["message"]


def test_an_unreachable_audience_is_refused_with_its_reason(api, cotton):
    response = api.post("/api/broadcasts", json={"advisory_id": cotton, "district": "Bilaspur"})
    assert response.status_code == 400 and "name the state too" in response.get_json()["message"]


def test_an_unknown_broadcast_is_404(api):
    response = api.get("/api/broadcasts/424242")
    assert response.status_code == 404 and response.get_json()["message"] == "no broadcast 424242"
