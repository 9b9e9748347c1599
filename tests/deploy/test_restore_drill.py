"""Backups that restore: scripts/pg-backup and scripts/restore-drill against the real PostgreSQL of the run (CI sets
TEST_DATABASE_URL), on the suite's migrated and seeded database. The drill restores into databases of its own and
drops them; these tests check that it does, and that it fails loudly on a dump that does not restore or a schema at
the wrong revision. The health check's arithmetic (`pg-backup --fresh`) needs no database."""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from farmdb.migrate import head_revision

ROOT = Path(__file__).resolve().parents[2]
PG_BACKUP = str(ROOT / "scripts" / "pg-backup")
RESTORE_DRILL = str(ROOT / "scripts" / "restore-drill")
POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))
needs_postgres = pytest.mark.skipif(
    not POSTGRES or not (shutil.which("pg_dump") and shutil.which("pg_restore") and shutil.which("psql")),
    reason="the restore drill needs PostgreSQL (TEST_DATABASE_URL) and its client tools")


def run(*argv: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, env={**os.environ, **env})


def drill_databases(url: str) -> list[str]:
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :pattern"),
                                     {"pattern": f"{make_url(url).database[:32]}_drill_%"}).scalars())
    finally:
        engine.dispose()


@pytest.fixture
def source(database_url):
    """The suite's database, migrated and seeded; the drill only reads it."""
    return database_url


@needs_postgres
def test_a_fresh_backup_restores_with_the_source_s_revision_and_rows(source):
    result = run(RESTORE_DRILL, source)
    assert result.returncode == 0, result.stderr
    assert f"schema revision {head_revision()};" in result.stdout
    assert "the same schema revision and row counts as" in result.stdout
    assert "public.districts" in result.stdout and "restore drill passed" in result.stdout
    assert drill_databases(source) == []


@needs_postgres
def test_the_newest_backup_restores_at_the_code_s_revision(source, tmp_path):
    backups = tmp_path / "backups"
    old = backups / "kheti-20200101T000000Z.dump"
    backups.mkdir()
    old.write_bytes(b"a dump from long ago")
    os.utime(old, (time.time() - 40 * 86400,) * 2)

    made = run(PG_BACKUP, source.replace("+psycopg", ""), str(backups), BACKUP_KEEP_DAYS="30")
    assert made.returncode == 0, made.stderr
    dumps = sorted(backups.glob("kheti-*.dump"))
    assert len(dumps) == 1 and dumps[0] != old, "the old dump is pruned, the new one kept"
    assert not list(backups.glob("*.partial"))

    drill = run(RESTORE_DRILL, "--dump", str(backups), "--revision", head_revision(), source)
    assert drill.returncode == 0, drill.stderr
    assert f"restored {dumps[0]}" in drill.stdout
    assert drill_databases(source) == []

    wrong = run(RESTORE_DRILL, "--dump", str(dumps[0]), "--revision", "0000_not_this_one", source)
    assert wrong.returncode == 1
    assert f"the restored schema is at {head_revision()}, not 0000_not_this_one" in wrong.stderr
    assert drill_databases(source) == []


@needs_postgres
def test_a_dump_that_does_not_restore_fails_the_drill(source, tmp_path):
    broken = tmp_path / "kheti-20260101T000000Z.dump"
    broken.write_bytes(b"PGDMP but cut short")
    result = run(RESTORE_DRILL, "--dump", str(broken), source)
    assert result.returncode == 1
    assert "pg_restore of" in result.stderr and "failed" in result.stderr
    assert drill_databases(source) == []


def test_the_drill_wants_a_url_that_names_a_database():
    result = run(RESTORE_DRILL, "postgresql://postgres@127.0.0.1:5432")
    assert result.returncode == 1 and "names a database" in result.stderr


@pytest.mark.parametrize("ages_hours, healthy", [
    ([], False),  # nothing backed up yet
    ([2], True),
    ([24.5], True),  # due, but within the hour's grace
    ([26], False),  # the last dump is a day and two hours old: the backups have stopped
    ([30, 1], True),  # the newest counts
])
def test_the_backup_health_check_is_the_newest_dump_s_age(tmp_path, ages_hours, healthy):
    for n, hours in enumerate(ages_hours):
        dump = tmp_path / f"kheti-2026010{n}T000000Z.dump"
        dump.write_bytes(b"")
        os.utime(dump, (time.time() - hours * 3600,) * 2)
    result = run(PG_BACKUP, "--fresh", "24", str(tmp_path))
    assert (result.returncode == 0) is healthy, result.stderr
