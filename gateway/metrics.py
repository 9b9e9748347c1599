"""Prometheus metrics: request count and latency per route.

Labels use the route pattern (`/africastalking/ussd`), never the raw path, so a scanner cannot blow up the series.
Under gunicorn with several workers set PROMETHEUS_MULTIPROC_DIR (the Dockerfile does) and /metrics aggregates them.
"""
from __future__ import annotations

import logging
import os
import threading
import time

import redis
from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy.exc import SQLAlchemyError

from gateway import context
from service import figures
from service.limits import LIMITS, refusals

log = logging.getLogger(__name__)

# USSD answers must be in tens of milliseconds; buckets resolve that range finely.
BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def init_app(app: Flask) -> None:
    registry = CollectorRegistry()
    requests_total = Counter("kheti_http_requests_total", "HTTP requests", ["route", "method", "status"],
                             registry=registry)
    latency = Histogram("kheti_http_request_duration_seconds", "HTTP request latency", ["route", "method"],
                        buckets=BUCKETS, registry=registry)

    @app.before_request
    def _start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        started = g.pop("metrics_started", None)
        if started is not None:
            route = request.url_rule.rule if request.url_rule else "<unmatched>"
            latency.labels(route, request.method).observe(time.perf_counter() - started)
            requests_total.labels(route, request.method, str(response.status_code)).inc()
        return response

    registry.register(Refusals())
    business = app.extensions["kheti_business_metrics"] = BusinessFigures(lambda: context.service())
    registry.register(business)

    @app.get("/metrics")
    def metrics():
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            combined = CollectorRegistry()
            multiprocess.MultiProcessCollector(combined)
            combined.register(Refusals())
            combined.register(business)
            return Response(generate_latest(combined), mimetype=CONTENT_TYPE_LATEST)
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


class Refusals:
    """`kheti_limited_total{limit}`: messages and sessions refused by a per-phone limit, counted in Redis by every
    process, read at each scrape."""

    def collect(self):
        family = CounterMetricFamily("kheti_limited", "Refused by a per-phone limit (service.limits)", labels=["limit"])
        try:
            counts = refusals(context.service().backends.redis)
        except redis.RedisError:
            counts = {}
        for limit in LIMITS:
            family.add_metric([limit], counts.get(limit, 0))
        yield family


class BusinessFigures:
    """The dashboard's figures as series (service.figures.totals), read from the database at scrape time. Kept for
    CACHE_S in this process: several Prometheus replicas scraping every 15 s cost one set of queries per 30 s. With
    the database down the scrape still answers, without these series (a gap an alert on absent() can catch)."""

    CACHE_S = 30.0

    def __init__(self, service, clock=time.monotonic):
        self.service, self.clock = service, clock
        self._lock = threading.Lock()
        self._read_at: float | None = None
        self._totals: figures.Totals | None = None

    def describe(self):
        return []  # no database read when registered, only at scrape time

    def collect(self):
        totals = self._current()
        if totals is None:
            return
        yield from business_families(totals)

    def _current(self) -> figures.Totals | None:
        with self._lock:  # threaded servers: one reader at a time, the others take its answer
            now = self.clock()
            if self._read_at is None or now - self._read_at >= self.CACHE_S:
                self._read_at, self._totals = now, self._shared()
            return self._totals

    def _shared(self) -> figures.Totals | None:
        """Every gateway process and pod scrapes the same database: the first to find the shared copy in Redis
        stale reads it (holding a short lock) and leaves it there for CACHE_S; the others take that copy."""
        client = self.service().backends.redis
        try:
            cached = client.get(SHARED_KEY)
            if cached is not None:
                return figures.Totals.loads(cached)
            if not client.set(SHARED_LOCK, 1, nx=True, ex=int(self.CACHE_S)):
                return self._totals  # another process is reading: keep what this one had
        except redis.RedisError:
            return self._read()  # without Redis, each process reads for itself
        totals = self._read()
        if totals is not None:
            try:
                client.set(SHARED_KEY, totals.dumps(), ex=int(self.CACHE_S))
            except redis.RedisError:
                pass
        return totals

    def _read(self) -> figures.Totals | None:
        try:
            with self.service().backends.sessions() as db:
                return figures.totals(db)
        except SQLAlchemyError:
            log.warning("business metrics: the database did not answer", exc_info=True)
            return None  # remembered for CACHE_S too: a database in trouble is not asked again by every scrape


RETENTION = " (counted from the table: drops when retention deletes old rows)"
SHARED_KEY, SHARED_LOCK = "metrics:business", "metrics:business:reading"


FINAL = frozenset({"delivered", "undelivered", "failed", "cancelled"})  # a message's last word: these only grow


def business_families(t: figures.Totals):
    # Final statuses only grow: a counter. Queued, sending and sent fall as messages move on: a gauge apart, so a
    # rate() over the counter never sees them drop.
    sms = CounterMetricFamily("kheti_sms_messages", "Outbound SMS by provider and final status (delivered, "
                              "undelivered, failed, cancelled)" + RETENTION, labels=["provider", "status"])
    moving = GaugeMetricFamily("kheti_sms_messages_in_flight", "Outbound SMS not yet at a final status, by provider "
                               "and status now (queued, sending, sent: awaiting its delivery report)",
                               labels=["provider", "status"])
    for (provider, status), n in sorted(t.sms_out.items()):
        (sms if status in FINAL else moving).add_metric([provider, status], n)
    yield sms
    yield moving
    yield CounterMetricFamily("kheti_sms_inbound", "Inbound SMS" + RETENTION, value=t.sms_in)
    yield _by("kheti_ussd_sessions", "USSD sessions by how they ended (AT status)" + RETENTION, "outcome", t.ussd)
    yield _by("kheti_ussd_exits", "USSD sessions that dropped off (not Success), by the screen they ended on"
              + RETENTION, "screen", t.exits)
    yield CounterMetricFamily("kheti_dlt_refusals", "Outbound SMS refused before sending: no DLT template matched"
                              + RETENTION, value=t.dlt_refusals)
    yield _by("kheti_payments", "Payments by status" + RETENTION, "status", t.payments)
    yield _by("kheti_revenue_minor", "Money paid, in minor units (paise)" + RETENTION, "currency", t.revenue)
    yield GaugeMetricFamily("kheti_tickets_open", "Expert desk tickets open or assigned now", value=t.tickets_open)
    yield GaugeMetricFamily("kheti_tickets_overdue", "Open tickets waiting longer than the farmer was promised",
                            value=t.tickets_overdue)
    yield GaugeMetricFamily("kheti_sms_queued", "Outbound SMS queued now, including those deferred to their send "
                            "window", value=t.queued)
    yield GaugeMetricFamily("kheti_sms_oldest_queued_seconds", "How long the longest-waiting queued SMS has been due "
                            "(0 when none is)", value=t.oldest_queued_s)


def _by(name: str, documentation: str, label: str, counts: dict) -> CounterMetricFamily:
    family = CounterMetricFamily(name, documentation, labels=[label])
    for key, n in sorted(counts.items()):
        family.add_metric([key], n)
    return family
