"""Fixtures shared by the whole suite.

Real services when TEST_DATABASE_URL / TEST_REDIS_URL are set (CI sets both), the embedded default otherwise:
- the database: one fresh database per test run (PostgreSQL: created and dropped; SQLite: a temp file), migrated
  through Alembic and seeded once; after each test the tables a test writes to are emptied again;
- Redis: the db number in TEST_REDIS_URL, flushed around each test; else a fresh fakeredis server per test.
"""
from __future__ import annotations

import os
import uuid
from dataclasses import replace
from datetime import date

import fakeredis
import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from farmdb import migrate
from farmdb.db import make_engine, make_sessionmaker
from farmdb.seed import load_all
from gateway import create_app
from service.connections import Backends, connect_redis, reads_for
from service.context import Clock
from service.settings import Settings
from workers.app import WorkerApp, boot

# Demo data is dated; tests pin the day so their expectations do not move with the calendar.
SEED_DAY = date(2026, 7, 15)

# Tables a test may write to; reference tables (states, crops, ...) stay as seeded.
MUTABLE_TABLES = ("price_alerts", "campaigns", "consent_events", "farmer_crops", "subscriptions", "payment_events",
                  "payments", "expert_requests", "inbound_messages", "outbound_messages", "broadcasts", "call_logs",
                  "farmers", "api_keys", "operators", "ussd_sessions")
TEST_SECRET_KEY = "test-only-secret-key-" + "x" * 32
SIMULATOR_NUMBERS = "+919999900000-+919999900099"  # the console's phone in tests (no default: it must be chosen)


def pytest_report_header(config):
    db = os.environ.get("TEST_DATABASE_URL")
    rd = os.environ.get("TEST_REDIS_URL")
    return [f"database: {_safe(db) if db else 'embedded SQLite'}", f"redis: {rd or 'embedded fakeredis'}"]


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _create_database(tmp_path_factory, kind: str | None = None) -> tuple[str, callable]:
    """A brand-new empty database; returns its URL and how to drop it. `kind` "sqlite" forces SQLite, otherwise
    PostgreSQL when TEST_DATABASE_URL is set."""
    base = None if kind == "sqlite" else os.environ.get("TEST_DATABASE_URL")
    if not base:
        path = tmp_path_factory.mktemp("db") / "kheti-test.sqlite3"
        return f"sqlite:///{path}", lambda: None
    name = f"kheti_test_{uuid.uuid4().hex[:10]}"
    admin_url = make_url(base).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """Migrated and seeded once per run."""
    url, drop = _create_database(tmp_path_factory)
    migrate.upgrade(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session, session.begin():
        load_all(session, today=SEED_DAY)
    engine.dispose()
    yield url
    drop()


@pytest.fixture
def empty_database_url(tmp_path_factory):
    """A database with nothing in it, not even the schema: for migration and seed tests."""
    url, drop = _create_database(tmp_path_factory)
    yield url
    drop()


# Both databases the service supports: SQLite always, PostgreSQL when the run has one.
DATABASE_KINDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(params=DATABASE_KINDS)
def empty_database_url_each(request, tmp_path_factory):
    """Like empty_database_url, once per supported database."""
    url, drop = _create_database(tmp_path_factory, request.param)
    yield url
    drop()


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def reads(engine):
    """The hop's read engine (its own pool on PostgreSQL), one per run."""
    reads = reads_for(engine)
    yield reads
    if reads is not engine:
        reads.dispose()


@pytest.fixture
def sessions(engine):
    yield make_sessionmaker(engine)
    with engine.begin() as conn:
        for table in MUTABLE_TABLES:
            conn.execute(text(f"DELETE FROM {table}"))
        _clear_audit_log(conn)


def _clear_audit_log(conn) -> None:
    """The audit log refuses DELETE (its triggers); between tests, and only here, they are stepped round."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # ordinary triggers do not fire
        conn.execute(text("DELETE FROM audit_events"))
        return
    triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                 "AND tbl_name = 'audit_events'")).all()
    for name, _sql in triggers:
        conn.execute(text(f'DROP TRIGGER "{name}"'))
    conn.execute(text("DELETE FROM audit_events"))
    for _name, sql in triggers:
        conn.execute(text(sql))


@pytest.fixture
def db(sessions):
    with sessions() as session:
        yield session


@pytest.fixture
def redis_client():
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        client = connect_redis(url)
        client.flushdb()
        yield client
        client.flushdb()
        client.close()
    else:
        yield fakeredis.FakeRedis(server=fakeredis.FakeServer())


@pytest.fixture
def settings(database_url):
    return Settings.from_env({"SIMULATOR_NUMBERS": SIMULATOR_NUMBERS}, database_url=database_url,
                             redis_url=os.environ.get("TEST_REDIS_URL"), secret_key=TEST_SECRET_KEY)


@pytest.fixture
def backends(engine, sessions, redis_client, reads):
    return Backends(engine=engine, sessions=sessions, redis=redis_client, reads=reads)


@pytest.fixture
def make_service(settings, backends):
    """A Service and its task app on the test database and Redis, with these settings changed:
    `service, worker_app = make_service(sms_provider="africastalking", at_username="sandbox", ...)`; `clock=` gives
    it a clock of the test's (ManualClock)."""
    def make(clock=None, **changes) -> tuple:
        return boot(replace(settings, **changes), backends, clock)
    return make


class ManualClock(Clock):
    """Milliseconds that move only when slept through: the rate limiter's waits take no time in a test."""

    def __init__(self, start_ms: int = 1_790_000_000_000):
        self.ms = start_ms

    def now_ms(self) -> int:
        return self.ms

    def sleep(self, seconds: float) -> None:
        self.ms += round(seconds * 1000)


@pytest.fixture
def booted(make_service):
    return make_service()


@pytest.fixture
def service(booted):
    """The Service the app and the tasks of a test share (in-process tasks, console sender)."""
    return booted[0]


@pytest.fixture
def tasks(booted):
    """The task app's tasks by their function's name: `tasks.send_sms(42)` runs one as called directly."""
    return TaskNames(booted[1])


class TaskNames:
    def __init__(self, app: WorkerApp):
        self.app = app

    def __getattr__(self, name: str):
        found = [task for full, task in self.app.tasks.items() if full.rsplit(".", 1)[-1] == name]
        if len(found) != 1:
            raise AttributeError(f"no task {name!r}")
        return found[0]


@pytest.fixture
def app(service):
    app = create_app(service=service, today=lambda: SEED_DAY)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def unreachable_redis() -> redis.Redis:
    """A real client aimed at a port nothing listens on: how a Redis outage looks to the app."""
    return connect_redis("redis://127.0.0.1:1/0")


@pytest.fixture
def ussd(client):
    """A simulated phone: posts exactly what Africa's Talking posts, through the real app."""
    from simulator.ussd import UssdPhone

    def post(form):
        response = client.post("/africastalking/ussd", data=form)
        return response.status_code, response.get_data(as_text=True)

    def make(phone: str = "+919812345678", network: str = "40410") -> UssdPhone:
        return UssdPhone(post=post, phone=phone, network_code=network)
    return make


@pytest.fixture
def register_farmer(sessions):
    """Put a consenting farmer in the database, as registration would; returns their id."""
    from sqlalchemy import select as _select

    from farmdb import farmers
    from farmdb.models import District as _District

    def make(phone="+919812345678", locale="en", name="Asha Pawar", district="Nashik", crops=("onion", "soybean"),
             sown=None):
        with sessions() as db, db.begin():
            place = db.scalar(_select(_District).where(_District.name == district))
            farmer = farmers.register(db, phone=phone, name=name, locale=locale, state_id=place.state_id,
                                      district_id=place.id, crops=crops, channel="operator",
                                      consent_notice="reg.consent.notice")
            for fc in farmer.crops:
                if sown and fc.crop.code in sown:
                    fc.sown_on = sown[fc.crop.code]
            return farmer.id
    return make


@pytest.fixture
def clock(monkeypatch):
    """Pin "now" for the outbound rules (send windows, sweeper, broadcasts): `clock.set(datetime)`. Starts at
    noon in India, inside every window, so a test is independent of when it runs."""
    from datetime import datetime, timezone

    class Clock:
        def set(self, moment: datetime) -> None:
            self.now = moment
            for module in ("workers.sending", "service.outbox", "workers.sweeper", "service.broadcasts.rows",
                           "service.broadcasts.progress", "service.broadcasts.manage", "console.broadcasts"):
                monkeypatch.setattr(f"{module}.utcnow", lambda: self.now)

    pinned = Clock()
    pinned.set(datetime(2026, 11, 21, 6, 30, tzinfo=timezone.utc))
    return pinned


def in_worker(task, monkeypatch):
    """Run `task` as a worker would (not eager, not called directly) and capture what it schedules instead of
    publishing it: `run = in_worker(send_sms, monkeypatch); run(42, retries=1); run.scheduled`."""
    task = task._get_current_object() if hasattr(task, "_get_current_object") else task
    scheduled = []
    monkeypatch.setattr(type(task), "apply_async",
                        lambda self, *a, **kw: scheduled.append({**kw, "args": a[0] if a else kw.get("args")}))

    def run(*args, retries: int = 0):
        task.push_request(id="task-1", args=list(args), kwargs={}, retries=retries, is_eager=False,
                          called_directly=False, delivery_info={})
        try:
            return task.run(*args)
        finally:
            task.pop_request()
    run.scheduled = scheduled
    return run
