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

    @classmethod
    def open(cls, settings: Settings) -> "Backends":
        engine = make_engine(settings.sqlalchemy_url)
        return cls(engine=engine, sessions=make_sessionmaker(engine), redis=connect_redis(settings.redis_url))

    def close(self) -> None:
        self.engine.dispose()
        self.redis.close()
