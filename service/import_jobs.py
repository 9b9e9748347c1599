"""A farmers' import started from the console: the file kept in Redis for a day under a token (every gateway and
worker sees it), checked once for the admin to read, then brought in by a worker batch by batch, its progress in
the same Redis hash that the console's progress bar reads. Started once, however often the button is pressed."""
from __future__ import annotations

import secrets
import time

from farmdb.models import Operator
from service import audit
from service.context import Service
from service.farmer_import import BATCH, Report, bring_in, check

TTL = 24 * 3600
BUDGET_S = 200  # a worker's share of a long import; the rest goes on in a fresh task (the task limit is 300 s)
NUMBERS = ("total", "bad", "done", "added", "merged")


def _key(token: str) -> str:
    return f"farmer_import:{token}"


def stage(service: Service, text: str, filename: str, operator_id: int, report: Report) -> str:
    token = secrets.token_urlsafe(12)
    redis = service.backends.redis
    redis.hset(_key(token), mapping={"file": text, "name": filename[:80], "by": operator_id, "state": "checked",
                                     "total": len(report.good), "bad": len(report.bad), "done": 0, "added": 0,
                                     "merged": 0})
    redis.expire(_key(token), TTL)
    return token


def status(service: Service, token: str) -> dict | None:
    raw = service.backends.redis.hgetall(_key(token))
    if not raw:
        return None
    found = {k.decode(): v.decode() for k, v in raw.items() if k != b"file"}
    return {**found, **{name: int(found[name]) for name in NUMBERS}, "by": int(found["by"])}


def start(service: Service, token: str) -> bool:
    """Queue the import once: False when it was started already (or is unknown)."""
    redis = service.backends.redis
    if not redis.exists(_key(token)) or not redis.set(f"{_key(token)}:started", 1, nx=True, ex=TTL):
        return False
    redis.hset(_key(token), "state", "running")
    service.tasks.import_farmers(token)
    return True


def run(service: Service, token: str) -> None:
    """Bring the checked file in from where it stopped; hand the rest to a new task when the budget is spent."""
    redis, key, began = service.backends.redis, _key(token), time.monotonic()
    text, done = redis.hget(key, "file"), status(service, token)
    if text is None or done is None or done["state"] == "done":
        return
    with service.backends.sessions() as db:
        report = check(db, service.settings, text.decode())  # again: the database may have changed since
    good = report.good
    for start_at in range(done["done"], len(good), BATCH):
        batch = bring_in(service.backends.sessions, Report(good=good[start_at:start_at + BATCH]))
        with redis.pipeline() as pipe:
            pipe.hincrby(key, "added", batch.added).hincrby(key, "merged", batch.merged)
            pipe.hset(key, "done", start_at + len(batch.good)).execute()
        more = start_at + BATCH < len(good)
        if more and not service.settings.tasks_in_process and time.monotonic() - began > BUDGET_S:
            service.tasks.import_farmers(token)
            return
    redis.hset(key, "state", "done")
    final = status(service, token)
    with service.backends.sessions() as db, db.begin():
        audit.record(db, db.get(Operator, final["by"]), "farmers_imported", target_type="farmers",
                     actor="unknown", file=final["name"], added=final["added"], merged=final["merged"],
                     skipped=len(report.bad))
