import logging
import time
from dataclasses import replace

import pytest
from sqlalchemy import text

from farmdb.db import make_engine, make_sessionmaker
from gateway import create_app
from service.connections import Backends
from tests.conftest import unreachable_redis


def test_healthz_says_the_process_is_alive(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_checks_database_schema_and_redis(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok", "schema": "ok", "redis": "ok"}}


def test_readyz_names_redis_when_it_is_down_and_answers_fast(settings, engine, sessions, reads):
    app = create_app(settings, backends=Backends(engine=engine, sessions=sessions, reads=reads,
                                                      redis=unreachable_redis()))
    started = time.perf_counter()
    response = app.test_client().get("/readyz")
    assert time.perf_counter() - started < 1.5
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "failing": ["redis"],
                             "checks": {"database": "ok", "schema": "ok", "redis": "failing"}}


def test_readyz_names_the_database_when_it_is_unreachable_and_tells_a_stranger_no_more(settings, redis_client,
                                                                                        caplog):
    engine = make_engine("postgresql://kheti:s3cret@127.0.0.1:1/nowhere")
    app = create_app(settings, backends=Backends(engine=engine, sessions=make_sessionmaker(engine),
                                                  redis=redis_client))
    with caplog.at_level(logging.WARNING, logger="gateway.health"):
        response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "failing": ["database"],
                             "checks": {"database": "failing", "schema": "not checked", "redis": "ok"}}
    body = response.get_data(as_text=True)
    assert "127.0.0.1" not in body and "OperationalError" not in body and "kheti" not in body
    # The operator still learns why, from the log.
    [record] = [r for r in caplog.records if r.name == "gateway.health"]
    assert "database: unreachable: OperationalError" in record.getMessage() and "port 1" in record.getMessage()


def test_readyz_says_when_the_schema_needs_migrating(settings, redis_client, tmp_path, caplog):
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("SELECT 1"))
    app = create_app(settings, backends=Backends(engine=engine, sessions=make_sessionmaker(engine),
                                                  redis=redis_client))
    with caplog.at_level(logging.WARNING, logger="gateway.health"):
        response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "failing": ["schema"],
                             "checks": {"database": "ok", "schema": "failing", "redis": "ok"}}
    [record] = [r for r in caplog.records if r.name == "gateway.health"]
    assert "schema: at nothing, expected " in record.getMessage() and "kheti db upgrade" in record.getMessage()


@pytest.mark.parametrize("proxies, warned", [(0, True), (1, False)])
def test_a_deployment_is_told_when_it_would_see_only_its_load_balancers_address(settings, backends, caplog, proxies,
                                                                                warned):
    with caplog.at_level(logging.WARNING, logger="gateway"):
        create_app(replace(settings, trusted_proxies=proxies), backends=backends)
    assert any("TRUSTED_PROXIES is 0" in r.getMessage() for r in caplog.records) is warned


@pytest.mark.parametrize("contact, warned", [("1800-XXX-XXXX", True), ("1800-180-1551", False)])
def test_a_deployment_is_told_when_its_grievance_contact_is_still_the_placeholder(settings, backends, caplog, contact,
                                                                                  warned):
    with caplog.at_level(logging.WARNING, logger="gateway"):
        create_app(replace(settings, grievance_contact=contact), backends=backends)
    assert any("GRIEVANCE_CONTACT is the placeholder" in r.getMessage() for r in caplog.records) is warned
