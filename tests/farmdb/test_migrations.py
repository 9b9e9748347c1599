"""Migrations go up from nothing, match the models exactly, and come back down, on SQLite and PostgreSQL alike."""
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from farmdb import migrate
from farmdb.db import make_engine
from farmdb.models import Base


def test_upgrade_from_empty_matches_the_models_then_downgrades_to_nothing(empty_database_url_each):
    empty_database_url = empty_database_url_each
    engine = make_engine(empty_database_url)
    assert migrate.current_revision(engine) is None

    migrate.upgrade(empty_database_url)
    assert migrate.current_revision(engine) == migrate.head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], "models and migrations disagree: write a migration (alembic revision --autogenerate)"
    assert set(inspect(engine).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}

    migrate.downgrade(empty_database_url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(empty_database_url)  # and up again: the downgrade left nothing behind that blocks it
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def test_there_is_a_single_line_of_migrations():
    from alembic.script import ScriptDirectory
    heads = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()
    assert len(heads) == 1, f"several heads {heads}: merge them with `alembic merge`"
