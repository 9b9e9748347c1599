"""Write .env.example, the settings file docker compose hands to every service (env_file), from the one place the
service declares its variables (service/variables.py) and the few docker-compose.yml adds of its own.

    .venv/bin/python scripts/env_example.py           # rewrite .env.example
    .venv/bin/python scripts/env_example.py --check   # exit 1 if it is out of date (tests/deploy does the same)
"""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.variables import VARIABLES  # noqa: E402

TARGET = ROOT / ".env.example"

# Without these docker compose refuses to start, and says which is missing.
REQUIRED = {
    "POSTGRES_PASSWORD": "Password of the `kheti` user of the PostgreSQL docker compose runs; DATABASE_URL is built "
                         "from it, so use letters and digits only: python3 -c 'import secrets; "
                         "print(secrets.token_hex(24))'",
    "SECRET_KEY": "Signs the console's session cookies and form tokens: 32 or more random characters, the same on "
                  "every gateway: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'",
}

# Read by docker-compose.yml itself, not by the service: (name, default, meaning).
COMPOSE_ONLY = (
    ("HTTP_PORT", "80", "Host port of the reverse proxy (nginx) in front of the gateways"),
    ("GATEWAY_CPUS", "2", "CPUs each gateway container may use: gunicorn starts 2 x these + 1 processes"),
    ("WORKER_CPUS", "2", "CPUs each worker container may use: a Celery process per CPU"),
    ("KHETI_IMAGE", "kheti-sahayak:local",
     "The image the gateway, workers and beat run: built here by `docker compose up --build`, or one from your "
     "registry (registry.example.org/kheti-sahayak:1.4.0) with `docker compose up --no-build`"),
    ("BACKUP_DIR", "./backups",
     "Host folder the `backup` service writes its pg_dump files to (copy them off the host)"),
    ("BACKUP_EVERY_HOURS", "24", "Hours between two backups"),
    ("BACKUP_KEEP_DAYS", "14", "Days a backup is kept (the newest is always kept)"),
)

# What docker-compose.yml sets for the service whatever this file says, and why (tests/deploy holds the two together).
SET_BY_COMPOSE = {
    "DATABASE_URL": "docker compose sets it: its own PostgreSQL, with POSTGRES_PASSWORD",
    "REDIS_URL": "docker compose sets it: its own Redis, db 0",
    "CELERY_BROKER_URL": "docker compose sets it: its own Redis, db 1",
    "VAR_DIR": "docker compose sets it to /var/lib/kheti, where the image keeps its trained model and call audio",
    "PORT": "docker compose sets it to 5000: the proxy and the health checks call the gateway there",
}
# Set by docker compose unless this file sets it: (default under compose, why).
COMPOSE_DEFAULTS = {
    "TRUSTED_PROXIES": ("1", "its reverse proxy; 2 with a TLS load balancer in front of that"),
}

HEADER = """\
# The settings of a Kheti Sahayak deployment: docker compose reads this file as .env (cp .env.example .env) and hands
# it to the gateway, the workers, the beat and the migration (env_file in docker-compose.yml). Keep .env out of git.
# A commented-out or empty line leaves a setting at its default. Quote a value that holds a $ with single quotes.
# Generated from service/variables.py by scripts/env_example.py: change the variables there, then run it again.
"""


def _comment(text: str) -> list[str]:
    return [f"# {line}" for line in textwrap.wrap(text, width=116, break_on_hyphens=False)]


def _value(raw: str) -> str:
    return f'"{raw}"' if any(c.isspace() for c in raw) else raw


def render() -> str:
    lines = [HEADER.rstrip("\n"), "", "# --- Required: docker compose will not start without them ---", ""]
    for name, meaning in REQUIRED.items():
        lines += _comment(meaning) + [f"{name}=", ""]
    lines += ["# --- Read by docker-compose.yml ---", ""]
    for name, default, meaning in COMPOSE_ONLY:
        lines += _comment(f"{meaning}. Default: {default}") + [f"# {name}={_value(default)}", ""]
    lines += ["# --- The service's settings (README, Configuration) ---", ""]
    for variable in VARIABLES:
        if variable.name in REQUIRED:
            continue
        text = variable.meaning.rstrip(".")
        default = variable.default
        if variable.name in COMPOSE_DEFAULTS:
            default, why = COMPOSE_DEFAULTS[variable.name]
            text += f". Under docker compose the default is {default}: {why}"
        elif default:
            text += f". Default: {default}"
        if variable.secret:
            text += " (secret)"
        if variable.name in SET_BY_COMPOSE:
            text += f". {SET_BY_COMPOSE[variable.name]}"
        lines += _comment(text) + [f"# {variable.name}={_value(default or '')}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if TARGET.read_text(encoding="utf-8") != text:
            print(".env.example is out of date: run .venv/bin/python scripts/env_example.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}: {len(VARIABLES) + len(COMPOSE_ONLY) + 1} variables")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
