"""The backends under faults: the hop's reads survive a database restart."""
import pytest
from sqlalchemy import text

from service.connections import read_once
from service.dialog_services import PROFILE_QUERY


@pytest.mark.postgres
def test_a_read_after_the_database_dropped_its_connections_is_retried_once(reads, engine, register_farmer):
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL): SQLite has no server to restart")
    register_farmer()
    assert read_once(reads, PROFILE_QUERY, {"phone": "+919812345678"})  # the pool now holds a connection
    with engine.connect() as admin:  # what a PostgreSQL restart does to every open connection
        admin.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        admin.commit()
    rows = read_once(reads, PROFILE_QUERY, {"phone": "+919812345678"})
    assert rows and rows[0].name == "Asha Pawar"
