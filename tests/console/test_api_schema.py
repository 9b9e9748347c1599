"""Schemathesis against API v1 on a live server, from its OpenAPI document: requests valid and not get no 5xx, and
every answer matches what the document says (its schema and content type). The schemathesis command runs as a
user would run it, against this test's server and database."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from farmdb.models import Operator
from service.operators import new_api_key

CLI = Path(sys.executable).with_name("schemathesis")


@pytest.fixture
def settings(settings):
    """A rate no run of schemathesis reaches: what is checked here is the answers, not the limit."""
    return replace(settings, api_rate_per_minute=100_000)


def test_api_v1_keeps_to_its_document(live_server, operator, sessions, ticket, register_farmer, tmp_path):
    ticket(description="white flies")  # something on the desk and among the farmers to find
    register_farmer(phone="+919822200011", name="Ravi", district="Pune", crops=("tomato",))
    with sessions() as db, db.begin():
        key = new_api_key(db, db.get(Operator, operator("tester", "admin")), "schemathesis")[1]
    run = subprocess.run(
        [str(CLI), "run", f"{live_server}/api/v1/openapi.json", "--url", f"{live_server}/api/v1",
         "--header", f"Authorization: Bearer {key}", "--max-examples", "25", "--seed", "20261205",
         "--checks", "not_a_server_error,response_schema_conformance,content_type_conformance",
         "--phases", "examples,coverage,fuzzing", "--no-color", "--report-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)  # its cache stays out of the work tree
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
