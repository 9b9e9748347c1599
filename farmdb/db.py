"""Engine and sessions, the same code for PostgreSQL and the embedded SQLite default.

Effects (Celery tasks, mostly) are attached to a session with `after_commit(session, fn)`: they run only once the
transaction that created their rows has committed, and are dropped if it rolls back (the outbox pattern).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

_PENDING = "kheti.after_commit"
log = logging.getLogger(__name__)


def default_url(var_dir: str | Path = "var") -> str:
    """Where the embedded default keeps its database when DATABASE_URL is unset: SQLite in VAR_DIR."""
    return f"sqlite:///{Path(var_dir).resolve() / 'kheti.sqlite3'}"


def make_engine(url: str, *, echo: bool = False, pre_ping: bool = True, statement_timeout_ms: int = 0,
                lock_timeout_ms: int = 0, pool_timeout_s: float = 5, connect_timeout_s: int = 3) -> Engine:
    """`pre_ping` tests each pooled connection before use (one round trip). The hop's read engine turns it off
    and retries once instead (see service.connections.reads_for): the same safety, without the round trip.

    On PostgreSQL every connection starts with a statement and a lock timeout (0: none), so a table locked by a
    migration or a stuck transaction makes a request fail in bounded time instead of waiting with it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        # One driver everywhere: psycopg 3 (postgresql:// alone would pick psycopg2, which we do not ship).
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        connect_args: dict = {"connect_timeout": max(2, connect_timeout_s)}  # libpq treats less than 2 as 2
        options = " ".join(f"-c {name}={ms}" for name, ms in (("statement_timeout", statement_timeout_ms),
                                                               ("lock_timeout", lock_timeout_ms)) if ms)
        if options:
            connect_args["options"] = options
        return create_engine(
            parsed, echo=echo, pool_pre_ping=pre_ping, pool_size=5, max_overflow=10, pool_timeout=pool_timeout_s,
            pool_recycle=1800, connect_args=connect_args,
        )
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, echo=echo, connect_args={"timeout": 15})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        # pysqlite opens transactions lazily and lets SAVEPOINT/RELEASE commit behind our back; take control of
        # BEGIN ourselves (SQLAlchemy's documented recipe) so nested transactions and rollbacks are real.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")  # SQLite ignores FOREIGN KEY clauses without this
        cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer in the dev server
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn):
        conn.exec_driver_sql("BEGIN")

    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(engine, expire_on_commit=False)
    event.listen(factory, "after_commit", _run_after_commit)
    event.listen(factory, "after_soft_rollback", _drop_after_commit)
    return factory


def after_commit(session: Session, effect: Callable[[], None]) -> None:
    """Run `effect` once this session's transaction commits; forget it on rollback."""
    session.info.setdefault(_PENDING, []).append(effect)


def _run_after_commit(session: Session) -> None:
    """The transaction is committed: a failure to queue a task must not fail the request now. The outbox row stays
    queued, with nothing lost, for a later re-queue."""
    effects = session.info.pop(_PENDING, [])
    for effect in effects:
        try:
            effect()
        except Exception:
            log.exception("could not queue a task after commit; its outbox row stays queued")


def _drop_after_commit(session: Session, _previous_transaction) -> None:
    session.info.pop(_PENDING, None)


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
