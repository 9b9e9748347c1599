"""The service's backends: the real ones when configured, the embedded stand-ins otherwise, behind the same clients.

SQLite stands in for PostgreSQL through SQLAlchemy; fakeredis stands in for Redis as a redis.Redis subclass; Celery runs
tasks in-process (task_always_eager) when there is no broker. Callers never ask which one they got.
"""
from __future__ import annotations

from dataclasses import dataclass

import fakeredis
import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from farmdb.db import make_engine, make_sessionmaker
from gateway.settings import Settings

# One in-process "server" per process, so the gateway and in-process tasks see the same keys.
_EMBEDDED_REDIS = fakeredis.FakeServer()

# A hop must answer within a second even when Redis is gone: never wait long for it.
REDIS_TIMEOUT_S = 0.5


def connect_redis(url: str | None) -> redis.Redis:
    if url is None:
        return fakeredis.FakeRedis(server=_EMBEDDED_REDIS)
    return redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S, health_check_interval=30,
    )


@dataclass
class Backends:
    engine: Engine
    sessions: sessionmaker[Session]
    redis: redis.Redis
    reads: Engine | None = None  # for the hop's lookups: see reads_for()

    def __post_init__(self):
        if self.reads is None:
            self.reads = reads_for(self.engine)

    @classmethod
    def open(cls, settings: Settings) -> "Backends":
        engine = make_engine(settings.sqlalchemy_url)
        return cls(engine=engine, sessions=make_sessionmaker(engine), redis=connect_redis(settings.redis_url))


def reads_for(engine: Engine) -> Engine:
    """The engine for single read-only lookups on a hop (a farmer's profile, today's prices), used through plain
    connections. On PostgreSQL it runs in autocommit: no BEGIN and no ROLLBACK around one SELECT, two round trips
    fewer on every lookup. Writes always use `sessions`, in a transaction. Same pool, same connections."""
    if engine.dialect.name != "postgresql":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")

    def close(self) -> None:
        self.engine.dispose()
        self.redis.close()
