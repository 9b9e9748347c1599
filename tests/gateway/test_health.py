import time

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
    assert response.json == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_readyz_names_redis_when_it_is_down_and_answers_fast(settings, engine, sessions, reads):
    app = create_app(settings, backends=Backends(engine=engine, sessions=sessions, reads=reads,
                                                      redis=unreachable_redis()))
    started = time.perf_counter()
    response = app.test_client().get("/readyz")
    assert time.perf_counter() - started < 1.5
    assert response.status_code == 503
    assert response.json["failing"] == ["redis"]
    assert response.json["checks"]["redis"].startswith("unreachable: ConnectionError")
    assert response.json["checks"]["database"] == "ok"


def test_readyz_names_the_database_when_it_is_unreachable(settings, redis_client):
    engine = make_engine("postgresql://postgres@127.0.0.1:1/nowhere")
    app = create_app(settings, backends=Backends(engine=engine, sessions=make_sessionmaker(engine),
                                                  redis=redis_client))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["failing"] == ["database"]
    assert response.json["checks"]["database"].startswith("unreachable: OperationalError")


def test_readyz_says_when_the_schema_needs_migrating(settings, redis_client, tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("SELECT 1"))
    app = create_app(settings, backends=Backends(engine=engine, sessions=make_sessionmaker(engine),
                                                  redis=redis_client))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"].startswith("schema at nothing, expected ")
    assert "kheti db upgrade" in response.json["checks"]["database"]
