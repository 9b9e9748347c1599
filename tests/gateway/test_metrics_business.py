"""The business figures on /metrics, as an operator's Prometheus scrapes them: the series and their values, read
once per 30 s however many scrapers ask, and /metrics still answering with the database away."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from farmdb.db import make_engine, make_sessionmaker
from farmdb.models import ExpertRequest, InboundMessage, OutboundMessage, Payment, UssdSession
from farmdb.types import utcnow
from gateway.metrics import SHARED_KEY, SHARED_LOCK
from gateway import create_app
from service import figures
from service.connections import Backends
from tests.conftest import SEED_DAY


def _out(n, status, provider="africastalking", error=None, ago=timedelta(minutes=1), send_after=None):
    at = utcnow() - ago
    return OutboundMessage(idempotency_key=f"m:{n}", phone="+919812345678", body="hi", locale="en",
                           category="service_implicit", purpose="reply", provider=provider, status=status,
                           encoding="GSM-7", segments=1, estimated_cost=Decimal("0.2"), last_error=error,
                           send_after=send_after, created_at=at, updated_at=at)


@pytest.fixture
def traffic(db):
    with db.begin():
        db.add_all([
            _out(1, "delivered"), _out(2, "delivered"), _out(3, "failed", "plivo"),
            _out(4, "failed", None, "DLT: no registered template matches"),
            _out(5, "queued", None, ago=timedelta(minutes=20)),
            _out(6, "queued", None, ago=timedelta(hours=3), send_after=utcnow() + timedelta(hours=2)),
            InboundMessage(provider="africastalking", provider_message_id="in-1", phone="+919812345678",
                           text="PRICE onion", intent="price"),
            UssdSession(session_id="s1", phone="+919812345678", status="Success"),
            UssdSession(session_id="s2", phone="+919812345678", status="Incomplete", exit_screen="prices_crop"),
            UssdSession(session_id="s3", phone="+919812345678", status="Incomplete", exit_screen="prices_crop"),
            Payment(amount_minor=9900, currency="INR", purpose="subscription", provider="sandbox", status="paid",
                    idempotency_key="p1", paid_at=utcnow()),
            Payment(amount_minor=4900, currency="INR", purpose="subscription", provider="sandbox", status="failed",
                    idempotency_key="p2"),
            ExpertRequest(ticket="T1", kind="callback", channel="sms", status="open",
                          created_at=utcnow() - timedelta(days=2)),
            ExpertRequest(ticket="T2", kind="callback", channel="sms", status="assigned"),
        ])


def _value(body: str, series: str) -> float | None:
    found = re.search(rf"^{re.escape(series)} (\S+)$", body, re.M)
    return float(found[1]) if found else None


def test_the_figures_as_series(client, traffic):
    body = client.get("/metrics").get_data(as_text=True)
    assert _value(body, 'kheti_sms_messages_total{provider="africastalking",status="delivered"}') == 2
    assert _value(body, 'kheti_sms_messages_total{provider="plivo",status="failed"}') == 1
    assert _value(body, 'kheti_sms_messages_in_flight{provider="none",status="queued"}') == 2
    assert _value(body, "kheti_sms_inbound_total") == 1
    assert _value(body, 'kheti_ussd_sessions_total{outcome="Incomplete"}') == 2
    assert _value(body, 'kheti_ussd_sessions_total{outcome="Success"}') == 1
    assert _value(body, 'kheti_ussd_exits_total{screen="prices_crop"}') == 2
    assert _value(body, "kheti_dlt_refusals_total") == 1
    assert _value(body, 'kheti_payments_total{status="paid"}') == 1
    assert _value(body, 'kheti_revenue_minor_total{currency="INR"}') == 9900
    assert _value(body, "kheti_tickets_open") == 2 and _value(body, "kheti_tickets_overdue") == 1
    assert _value(body, "kheti_sms_queued") == 2
    # The one due 20 minutes ago, not the one waiting for its send window.
    assert 20 * 60 <= _value(body, "kheti_sms_oldest_queued_seconds") < 21 * 60
    assert "# TYPE kheti_sms_messages_total counter" in body and "# TYPE kheti_tickets_open gauge" in body
    assert "retention" in body  # the HELP says why a counter may drop
    assert "+9198" not in body


def test_read_once_per_30_seconds(app, client, traffic, monkeypatch):
    reads = []
    real = figures.totals
    monkeypatch.setattr(figures, "totals", lambda db, now=None: reads.append(1) or real(db, now))
    collector = app.extensions["kheti_business_metrics"]
    now = [1000.0]
    collector.clock = lambda: now[0]
    client.get("/metrics")
    now[0] += 29
    body = client.get("/metrics").get_data(as_text=True)
    assert len(reads) == 1 and _value(body, "kheti_sms_inbound_total") == 1  # the cached answer, still served
    now[0] += 1
    client.get("/metrics")
    assert len(reads) == 1  # this process's copy is old, but the one shared in Redis is not: no query
    app.extensions["kheti"].backends.redis.delete(SHARED_KEY, SHARED_LOCK)  # as when its 30 s run out
    now[0] += 30
    client.get("/metrics")
    assert len(reads) == 2


def test_several_gateway_processes_share_one_read(app, client, traffic, monkeypatch, settings):
    """Another process (a second app on the same database and Redis) takes the copy the first one left."""
    reads = []
    real = figures.totals
    monkeypatch.setattr(figures, "totals", lambda db, now=None: reads.append(1) or real(db, now))
    client.get("/metrics")
    other = create_app(settings, backends=app.extensions["kheti"].backends, today=lambda: SEED_DAY)
    body = other.test_client().get("/metrics").get_data(as_text=True)
    assert len(reads) == 1 and _value(body, "kheti_sms_inbound_total") == 1


def test_metrics_answer_with_the_database_down(settings, redis_client, caplog):
    down = make_engine("postgresql://postgres@127.0.0.1:1/nowhere")  # nothing listens there: refused at once
    app = create_app(settings, backends=Backends(engine=down, sessions=make_sessionmaker(down), redis=redis_client),
                     today=lambda: SEED_DAY)
    app.config.update(TESTING=True)
    client = app.test_client()
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "kheti_http_requests_total" in body and "kheti_limited_total" in body
    assert "kheti_sms_messages_total" not in body and "kheti_tickets_open" not in body
    assert "business metrics: the database did not answer" in caplog.text

