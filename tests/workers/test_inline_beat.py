"""The embedded default's periodic jobs, ticking inside `kheti serve`: nothing runs at start-up; the sweeper runs
once a minute has passed; a job that fails does not stop the others."""
from datetime import datetime, timedelta, timezone

import workers.alerts  # noqa: F401  (the jobs register their tasks when imported)
import workers.payments  # noqa: F401
import workers.sweeper  # noqa: F401
from workers.celery_app import celery
from workers.inline_beat import Schedule


def test_the_sweeper_runs_each_minute_and_daily_jobs_wait_for_their_hour(app, settings, monkeypatch):
    ran = []
    for name in ("workers.sweeper.sweep_outbox", "workers.alerts.send_weather_alerts",
                 "workers.alerts.send_stage_advisories", "workers.payments.remind_renewals",
                 "workers.payments.expire_stale_payments"):
        monkeypatch.setattr(celery.tasks[name], "delay", lambda name=name: ran.append(name))
    long_ago = datetime.now(timezone.utc) - timedelta(seconds=61)
    schedule = Schedule(settings)
    started, wait = schedule.tick()
    assert started == [] and ran == [] and 1.0 <= wait <= 60.0  # nothing at start-up
    schedule.entries["sweep-outbox"][2] = long_ago
    started, _ = schedule.tick()
    assert started == ["sweep-outbox"] and ran == ["workers.sweeper.sweep_outbox"]


def test_a_failing_job_does_not_stop_the_others(app, settings, monkeypatch, caplog):
    def broken():
        raise RuntimeError("broker gone")
    monkeypatch.setattr(celery.tasks["workers.sweeper.sweep_outbox"], "delay", broken)
    ran = []
    monkeypatch.setattr(celery.tasks["workers.payments.expire_stale_payments"], "delay", lambda: ran.append(1))
    schedule = Schedule(settings)
    long_ago = datetime.now(timezone.utc) - timedelta(days=2)
    schedule.entries["sweep-outbox"][2] = schedule.entries["expire-payment-links"][2] = long_ago
    started, _ = schedule.tick()
    assert {"sweep-outbox", "expire-payment-links"} <= set(started) and ran == [1]
    assert any("periodic job failed" in r.getMessage() for r in caplog.records)
