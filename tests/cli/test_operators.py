"""`kheti operator`: the first admin made from the command line, then signing in with what it printed."""
from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import select

from cli import main
from farmdb.models import ApiKey, AuditEvent, Farmer, Operator
from service import operators
from service.operators import key_owner


@pytest.fixture
def kheti(database_url, monkeypatch):
    monkeypatch.setattr(operators, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))

    def run(*args):
        return CliRunner().invoke(main, list(args), catch_exceptions=False,
                                  env={"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", "REDIS_URL": "",
                                       "CELERY_BROKER_URL": ""})
    return run


def test_operator_add_prints_a_one_time_password_that_signs_in_once(kheti, sessions, db):
    result = kheti("operator", "add", "Priya", "--role", "admin", "--name", "Priya Shah", "--phone", "98765 43210")
    assert result.exit_code == 0, result.output
    password = result.stdout.strip()
    with sessions() as s, s.begin():
        assert operators.sign_in(s, "priya", password).operator.must_change_password is True
    row = db.scalar(select(Operator))
    assert (row.username, row.display_name, row.role, row.phone) == ("priya", "Priya Shah", "admin", "+919876543210")
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "operator_added"))
    assert event.actor.startswith("cli") and event.detail == {"username": "priya", "role": "admin"}


def test_the_same_username_twice_is_refused(kheti):
    kheti("operator", "add", "priya", "--role", "viewer")
    result = kheti("operator", "add", "PRIYA", "--role", "admin")
    assert result.exit_code == 1 and "there is already an operator called 'priya'" in result.output


def test_an_api_key_is_printed_once_and_works_until_the_operator_is_disabled(kheti, sessions, db):
    kheti("operator", "add", "priya", "--role", "agronomist")
    result = kheti("operator", "api-key", "priya", "--name", "district dashboard")
    key = result.stdout.strip()
    assert result.exit_code == 0 and key.startswith("ks_")
    assert db.scalar(select(ApiKey.name)) == "district dashboard"
    with sessions() as s, s.begin():
        assert key_owner(s, key)[0].username == "priya"
    assert kheti("operator", "disable", "priya").exit_code == 0
    with sessions() as s:
        assert key_owner(s, key) is None
    assert "disabled" in kheti("operator", "list").stdout
    assert kheti("operator", "api-key", "nobody").exit_code == 1


def test_a_reset_prints_a_new_one_time_password(kheti, sessions):
    first = kheti("operator", "add", "priya", "--role", "viewer").stdout.strip()
    second = kheti("operator", "reset-password", "priya").stdout.strip()
    assert first != second
    with sessions() as s, s.begin():
        assert operators.sign_in(s, "priya", first).operator is None
        assert operators.sign_in(s, "priya", second).operator is not None


def test_farmers_import_reports_bad_rows_and_imports_only_when_told(kheti, tmp_path, db):
    sheet = tmp_path / "farmers.csv"
    sheet.write_text("phone,name,district,consent_at,consent_channel,consent_notice,crops\n"
                     "9822200011,Ravi,Pune,2026-11-02,paper,form-v1,onion\n"
                     "12,Nobody,Pune,2026-11-02,paper,form-v1,\n", encoding="utf-8")
    dry = kheti("farmers", "import", str(sheet), "--dry-run")
    assert dry.exit_code == 1 and "line 3: '12' is not a phone number" in dry.output
    refused = kheti("farmers", "import", str(sheet))
    assert refused.exit_code == 1 and "nothing imported" in refused.output
    assert db.scalar(select(Farmer.id)) is None
    done = kheti("farmers", "import", str(sheet), "--skip-bad")
    assert done.exit_code == 0 and "added 1, merged 0 with farmers already known, skipped 1" in done.output
    db.rollback()
    assert db.scalar(select(Farmer.phone)) == "+919822200011"
    assert db.scalar(select(AuditEvent.detail).where(AuditEvent.action == "farmers_imported")) == \
        {"file": "farmers.csv", "added": 1, "merged": 0, "skipped": 1}


def test_a_command_on_a_database_without_the_schema_says_so_in_one_line(tmp_path):
    result = CliRunner().invoke(main, ["operator", "list"], env={"DATABASE_URL": "", "VAR_DIR": str(tmp_path),
                                                                 "REDIS_URL": "", "CELERY_BROKER_URL": ""})
    assert result.exit_code == 2
    assert result.output.startswith("kheti: configuration error: VAR_DIR: the database at")
    assert "run `kheti db upgrade`" in result.output and "Traceback" not in result.output
