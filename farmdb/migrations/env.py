"""Alembic environment. The URL comes from the caller (`kheti db upgrade`), or, for a bare `alembic` command (a
contributor's `alembic revision --autogenerate`), from DATABASE_URL and VAR_DIR as the service reads them; never
from alembic.ini, so there is one source of truth for where the database is."""
from __future__ import annotations

import os

from alembic import context

from farmdb.db import default_url, make_engine
from farmdb.models import Base

config = context.config


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    return os.environ.get("DATABASE_URL", "").strip() or default_url(os.environ.get("VAR_DIR", "").strip() or "var")


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=Base.metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    # render_as_batch: SQLite cannot ALTER most things; batch mode copies the table instead.
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
