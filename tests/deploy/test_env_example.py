""".env.example, the file an operator copies to .env for docker compose, lists every variable the service reads (as
the README's table does: tests/service/test_settings.py) and is what scripts/env_example.py makes of them."""
from __future__ import annotations

import re
from pathlib import Path

from service.variables import VARIABLES
from tests.deploy.repo_scripts import env_example

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / ".env.example").read_text(encoding="utf-8")


def test_env_example_names_every_variable():
    missing = [v.name for v in VARIABLES if not re.search(rf"^(# )?{v.name}=", EXAMPLE, re.M)]
    assert missing == []


def test_env_example_is_current_with_service_variables():
    assert EXAMPLE == env_example().render(), "run .venv/bin/python scripts/env_example.py"


def test_only_the_required_secrets_are_set_and_they_are_empty():
    set_lines = [line for line in EXAMPLE.splitlines() if line and not line.startswith("#")]
    assert set_lines == ["POSTGRES_PASSWORD=", "SECRET_KEY="]


def test_defaults_are_shown_as_the_service_has_them():
    for variable in VARIABLES:
        if variable.default and variable.name not in env_example().COMPOSE_DEFAULTS:
            assert re.search(rf"^# {variable.name}=\"?{re.escape(variable.default)}\"?$", EXAMPLE, re.M), variable.name


def test_lines_fit():
    assert [line for line in EXAMPLE.splitlines() if len(line) > 120] == []
