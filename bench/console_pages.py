"""Console and API v1 pages on a big database, run by hand: `.venv/bin/python bench/console_pages.py` (about a
minute).

A throwaway PostgreSQL database (on BENCH_DATABASE_URL's server) with the reference data, FARMERS farmers across
every district (two crops each) and TICKETS tickets, a third of them open; an agronomist signed in through the
login form and an API key. Each page is asked for REQUESTS times in this process through the Flask test client (the
whole app: sessions, CSRF, roles, the audit log, templates; no network), after a warm-up, and its median and 95th
percentile printed with the ratio to the floor: /healthz on the same app, a request that touches nothing.
The database is dropped at the end, even on failure.

Env: BENCH_DATABASE_URL (default the local server), BENCH_FARMERS (200000), BENCH_TICKETS (30000),
BENCH_REQUESTS (200).
"""
from __future__ import annotations

import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.broadcast import create_database  # noqa: E402

FARMERS = int(os.environ.get("BENCH_FARMERS", "200000"))
TICKETS = int(os.environ.get("BENCH_TICKETS", "30000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
PASSWORD = "a long pass phrase for the bench"


def prepare(database_url: str) -> float:
    from sqlalchemy import text

    from farmdb import migrate
    from farmdb.db import make_engine, make_sessionmaker
    from farmdb.seed import load_all
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    started = time.perf_counter()
    with make_sessionmaker(engine)() as db, db.begin():
        load_all(db, demo_data=False)
        db.execute(text("""
            INSERT INTO farmers (phone, name, locale, state_id, district_id, registered_via, consent_given_at,
                                 consent_channel, sms_opted_out, created_at, updated_at)
            SELECT '+9197' || lpad(g::text, 8, '0'), 'Kisan ' || g, (ARRAY['en', 'hi', 'mr'])[1 + g % 3],
                   d.state_id, d.id, 'ussd', now(), 'ussd', false, now() - g * interval '1 second', now()
            FROM generate_series(0, :n - 1) AS g
            JOIN (SELECT id, state_id, row_number() OVER (ORDER BY id) - 1 AS k FROM districts) d
              ON d.k = g % (SELECT count(*) FROM districts)"""), {"n": FARMERS})
        db.execute(text("""
            INSERT INTO farmer_crops (farmer_id, crop_id)
            SELECT f.id, c.id FROM farmers f JOIN crops c ON c.id IN (
                (SELECT min(id) FROM crops) + f.id % 10, (SELECT min(id) FROM crops) + 10 + f.id % 10)"""))
        db.execute(text("""
            INSERT INTO expert_requests (ticket, farmer_id, crop_id, kind, channel, description, status, created_at,
                                         updated_at)
            SELECT (1000000 + g)::text, f.id, (SELECT min(id) FROM crops) + g % 10,
                   (ARRAY['pest_report', 'callback', 'question'])[1 + g % 3], 'ussd', 'leaves curling',
                   CASE WHEN g % 3 = 0 THEN 'open' ELSE 'closed' END, now() - g * interval '1 minute', now()
            FROM generate_series(0, :n - 1) AS g JOIN farmers f ON f.id = (SELECT min(id) FROM farmers) + g"""),
                   {"n": TICKETS})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return time.perf_counter() - started


def timed(client, url: str, headers: dict | None = None) -> list[float]:
    for _ in range(max(5, REQUESTS // 20)):  # warm-up: caches, prepared statements
        assert client.get(url, headers=headers).status_code == 200, url
    spent = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        spent.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return spent


def main() -> None:
    from dataclasses import replace

    from argon2 import PasswordHasher

    from farmdb.models import Operator
    from gateway import create_app
    from service import operators
    from service.settings import Settings

    database_url, drop = create_database("console")
    try:
        seeded = prepare(database_url)
        settings = replace(Settings.from_env({}, database_url=database_url, secret_key="bench-" + "x" * 40,
                                             log_level="WARNING"), api_rate_per_minute=100_000)
        app = create_app(settings)
        service = app.extensions["kheti"]
        operators._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # sign-in is not measured
        with service.backends.sessions() as db, db.begin():
            agronomist, _ = operators.add_operator(db, "bench", "agronomist")
            agronomist.password_hash, agronomist.must_change_password = operators.hash_password(PASSWORD), False
            key = operators.new_api_key(db, db.get(Operator, agronomist.id), "bench")[1]
        client = app.test_client()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/console/login").get_data(True))[1]
        assert client.post("/console/login", data={"username": "bench", "password": PASSWORD,
                                                   "csrf_token": token}).status_code == 302
        api = {"Authorization": f"Bearer {key}"}
        pages = [
            ("floor: /healthz", "/healthz", None),
            ("the desk (open tickets, first page)", "/console/desk", None),
            ("the desk, page 200", "/console/desk?page=200", None),
            ("farmers: a number as typed", "/console/farmers?q=097%2000012345", None),
            ("farmers: a name", "/console/farmers?q=kisan%201234", None),
            ("farmers: a district", "/console/farmers?district=Nashik", None),
            ("a farmer's page", "/console/farmers/12345", None),
            ("a ticket's page", "/console/tickets/1000300", None),
            ("API: tickets", "/api/v1/tickets", api),
            ("API: farmers in a district", "/api/v1/farmers?district=Pune", api),
        ]
        print(f"{FARMERS:,} farmers, {TICKETS:,} tickets (seeded in {seeded:.1f} s); {REQUESTS} requests per page; "
              f"{platform.node()} {platform.processor() or platform.machine()} {os.cpu_count()} cores, "
              f"{time.strftime('%Y-%m-%d')}")
        floor = None
        for label, url, headers in pages:
            spent = sorted(timed(client, url, headers))
            median, p95 = statistics.median(spent) * 1000, spent[int(len(spent) * 0.95) - 1] * 1000
            floor = floor or median
            print(f"  {label:<40} median {median:7.2f} ms   p95 {p95:7.2f} ms   {median / floor:6.1f}x floor")
    finally:
        drop()


if __name__ == "__main__":
    main()
