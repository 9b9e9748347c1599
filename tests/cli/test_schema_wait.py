"""A worker or beat of a new release started before its migration (a rolling deploy) takes no task until the
database is at the code's schema: it waits, and past the timeout stops with the reason for its supervisor."""
import pytest
from sqlalchemy import text

from cli.serve import wait_for_schema
from farmdb.migrate import head_revision
from service.settings import SettingsError
from tests.conftest import ManualClock


def _at(backends, revision: str) -> None:
    with backends.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def test_a_database_at_the_codes_schema_starts_the_worker_at_once(service):
    service.clock = ManualClock()
    started = service.clock.now_ms()
    wait_for_schema(service, "worker")
    assert service.clock.now_ms() == started


def test_a_database_behind_is_waited_for_then_refused_with_the_reason(service, backends, caplog):
    service.clock = ManualClock()
    _at(backends, "0001_an_older_release")
    try:
        with pytest.raises(SettingsError, match="not .* after 30 s: run `kheti db upgrade` before the workers"):
            wait_for_schema(service, "worker", timeout_s=30, pause_s=5)
        assert service.clock.now_ms() - ManualClock().now_ms() == 30_000  # it waited the whole while, no longer
        assert "worker waiting for the database schema" in caplog.text
    finally:
        _at(backends, head_revision())


def test_the_migration_landing_while_it_waits_lets_the_worker_start(service, backends):
    clock = service.clock = ManualClock()
    _at(backends, "0001_an_older_release")
    sleep = clock.sleep

    def migrated_meanwhile(seconds):
        sleep(seconds)
        _at(backends, head_revision())  # the migration job finished during the pause
    clock.sleep = migrated_meanwhile
    wait_for_schema(service, "beat", timeout_s=600, pause_s=5)
    assert clock.now_ms() - ManualClock().now_ms() == 5_000
