"""One price import from start to end, the same for `kheti prices fetch`, `kheti prices import` and the daily job:
read (the API or a file), store in one transaction, and once it has committed tell every process (freshness.bump)
and have the price alerts checked (service.prices.alerts).
Two imports at once would race for the same rows: a lock in Redis lets one run at a time."""
from __future__ import annotations

import logging
import secrets
from datetime import date

import redis
import requests

from farmdb.db import after_commit
from service.context import Service
from service.prices import freshness
from service.prices.agmarknet import Agmarknet
from service.prices.importer import store
from service.prices.records import read_api_records, read_file
from service.prices.report import Report

log = logging.getLogger(__name__)

LOCK_KEY = "prices:import:lock"
LOCK_S = 30 * 60  # longer than any import: a crashed one frees it by itself


class ImportBusy(Exception):
    """Another import holds the lock."""


def fetch(service: Service, *, states: list[str] | tuple[str, ...] = (), day: date | None = None,
          http: requests.Session | None = None, sleep=None) -> Report:
    """Today's (or `day`'s) prices from data.gov.in, for these states (all of India when none), stored."""
    options = {"http": http} | ({"sleep": sleep} if sleep else {})
    client = Agmarknet(service.settings.agmarknet_api_key or "", **options)
    raw: list[dict] = []
    for state in states or [None]:
        raw += client.records(state=state, day=day)
    records, problems = read_api_records(raw)
    return _store(service, records, problems, Report(source="data.gov.in"))


def import_text(service: Service, text: str, *, name: str, state: str | None = None,
                dry_run: bool = False) -> Report:
    """A saved API answer or a portal CSV (records.FileProblem if it cannot be read at all)."""
    records, problems = read_file(text, state=state)
    return _store(service, records, problems, Report(source=name, dry_run=dry_run))


def _store(service: Service, records, problems, report: Report) -> Report:
    backends = service.backends
    with _lock(backends.redis), backends.sessions() as db:
        transaction = db.begin()
        try:
            store(db, records, problems, report=report)
        except BaseException:
            transaction.rollback()
            raise
        if report.dry_run:
            transaction.rollback()
            return report
        if report.stored or report.updated or report.demo_replaced:
            after_commit(db, lambda: freshness.bump(backends.redis))
            if service.tasks.attached:
                after_commit(db, service.tasks.check_price_alerts)
        transaction.commit()
    return report


class _lock:
    def __init__(self, client: redis.Redis):
        self.client, self.token = client, secrets.token_hex(8)

    def __enter__(self):
        try:
            taken = self.client.set(LOCK_KEY, self.token, nx=True, ex=LOCK_S)
        except redis.RedisError as exc:  # the import matters more than the lock: the database keeps rows unique
            log.warning("price import without its lock (Redis: %s)", type(exc).__name__)
            return
        if not taken:
            raise ImportBusy("another price import is running; try again when it has finished")

    def __exit__(self, *exc):
        try:
            if self.client.get(LOCK_KEY) == self.token.encode():
                self.client.delete(LOCK_KEY)
        except redis.RedisError:
            pass  # it expires by itself
