"""Prometheus metrics: request count and latency per route.

Labels use the route pattern (`/africastalking/ussd`), never the raw path, so a scanner cannot blow up the series.
Under gunicorn with several workers set PROMETHEUS_MULTIPROC_DIR (the Dockerfile does) and /metrics aggregates them.
"""
from __future__ import annotations

import os
import time

import redis
from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily

from gateway import context
from service.limits import LIMITS, refusals

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

    @app.get("/metrics")
    def metrics():
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            combined = CollectorRegistry()
            multiprocess.MultiProcessCollector(combined)
            combined.register(Refusals())
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
