"""The service's connections: the real ones when configured, the embedded stand-ins otherwise, behind the same clients.

SQLite stands in for PostgreSQL through SQLAlchemy; fakeredis stands in for Redis as a redis.Redis subclass (one
in-process "server" per Backends, so the gateway and the tasks it runs in-process see the same keys). Callers never
ask which one they got.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import fakeredis
import redis
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from farmdb.db import make_engine, make_sessionmaker
from service.settings import Settings

# A hop must answer within a second even when Redis is gone: never wait long for it.
REDIS_TIMEOUT_S = 0.5
# ... and within two when the database is stalled (a lock held by a migration or a stuck transaction).
HOP_TIMEOUT_MS = 1500
_HOP_LIMITS = text("SELECT set_config('statement_timeout', :ms, true), set_config('lock_timeout', :ms, true)")


def connect_redis(url: str | None) -> redis.Redis:
    """A client of the Redis at `url`; with no URL, of a new in-process stand-in."""
    if url is None:
        return fakeredis.FakeRedis(server=fakeredis.FakeServer())
    return redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S, health_check_interval=30,
    )


@dataclass
class Backends:
    engine: Engine
    sessions: sessionmaker[Session]
    redis: redis.Redis
    reads: Engine | None = None  # for the hop's lookups: see reads_for()
    hop_timeout_ms: int = HOP_TIMEOUT_MS

    def __post_init__(self):
        if self.reads is None:
            self.reads = reads_for(self.engine, self.hop_timeout_ms)

    @classmethod
    def open(cls, settings: Settings) -> "Backends":
        engine = make_engine(settings.sqlalchemy_url, statement_timeout_ms=settings.db_statement_timeout_ms,
                             lock_timeout_ms=settings.db_lock_timeout_ms)
        return cls(engine=engine, sessions=make_sessionmaker(engine), redis=connect_redis(settings.redis_url),
                   hop_timeout_ms=settings.hop_db_timeout_ms)

    @contextmanager
    def hop_transaction(self) -> Iterator[Session]:
        """A write transaction on a caller's hop or call turn: no statement in it runs, and no lock is waited for,
        longer than a hop may take, so a stalled table gives the caller a polite "busy" in time (OperationalError,
        one of service.conversations.UNAVAILABLE) rather than gunicorn's error page after the provider gave up."""
        with self.sessions() as db, db.begin():
            if self.engine.dialect.name == "postgresql":
                db.execute(_HOP_LIMITS, {"ms": str(self.hop_timeout_ms)})
            yield db

    def after_fork(self) -> None:
        """In a forked child: forget the parent's pooled connections without closing them under the parent."""
        self.engine.dispose(close=False)
        if self.reads is not self.engine:
            self.reads.dispose(close=False)

    def close(self) -> None:
        self.engine.dispose()
        if self.reads is not self.engine:
            self.reads.dispose()
        self.redis.close()


def reads_for(engine: Engine, timeout_ms: int = HOP_TIMEOUT_MS) -> Engine:
    """The engine for single read-only lookups on a hop (a farmer's profile, today's prices), used through plain
    connections with `read_once`. On PostgreSQL it has a pool of its own in autocommit, without pre-ping: no BEGIN,
    no ROLLBACK and no test query around one SELECT, three round trips fewer. Writes use `sessions`. Its statements
    and the wait for one of its connections are bounded by the hop's time (`timeout_ms`)."""
    if engine.dialect.name != "postgresql":
        return engine
    url = engine.url.render_as_string(hide_password=False)
    reads = make_engine(url, pre_ping=False, statement_timeout_ms=timeout_ms, lock_timeout_ms=timeout_ms,
                        pool_timeout_s=timeout_ms / 1000, connect_timeout_s=2)
    return reads.execution_options(isolation_level="AUTOCOMMIT")


def read_once(reads: Engine, statement, params: dict) -> list:
    """Run one read; if the pooled connection had died (a database restart), SQLAlchemy has dropped the pool and
    the one retry gets a fresh connection. A second failure is a real outage and goes up."""
    try:
        with reads.connect() as conn:
            return conn.execute(statement, params).all()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
    with reads.connect() as conn:
        return conn.execute(statement, params).all()
