"""The periodic jobs: their schedule, and the embedded default's ticking inside `kheti serve`: nothing runs at
start-up; the sweeper runs once a minute has passed; a job that fails does not stop the others."""
from datetime import datetime, timedelta, timezone

from workers.alerts import SEND_STAGE_ADVISORIES, SEND_WEATHER_ALERTS
from workers.beat import Schedule
from workers.broadcasts import RUN_CAMPAIGNS
from workers.payments import EXPIRE_STALE_PAYMENTS, REMIND_RENEWALS
from workers.spool import REPLAY_WEBHOOKS
from workers.sweeper import SWEEP_OUTBOX

JOBS = (SWEEP_OUTBOX, REPLAY_WEBHOOKS, SEND_WEATHER_ALERTS, SEND_STAGE_ADVISORIES, REMIND_RENEWALS,
        EXPIRE_STALE_PAYMENTS, RUN_CAMPAIGNS)


def test_every_job_of_the_schedule_is_a_task_of_the_app(booted):
    _, app = booted
    assert {entry["task"] for entry in app.conf.beat_schedule.values()} == set(JOBS) <= set(app.tasks)


def test_the_sweeper_runs_each_minute_and_daily_jobs_wait_for_their_hour(booted, monkeypatch):
    _, app = booted
    ran = []
    for name in JOBS:
        monkeypatch.setattr(app.tasks[name], "delay", lambda name=name: ran.append(name))
    long_ago = datetime.now(timezone.utc) - timedelta(seconds=61)
    schedule = Schedule(app)
    started, wait = schedule.tick()
    assert started == [] and ran == [] and 1.0 <= wait <= 60.0  # nothing at start-up
    schedule.entries["sweep-outbox"][2] = long_ago
    started, _ = schedule.tick()
    assert started == ["sweep-outbox"] and ran == [SWEEP_OUTBOX]


def test_a_failing_job_does_not_stop_the_others(booted, monkeypatch, caplog):
    _, app = booted

    def broken():
        raise RuntimeError("broker gone")
    monkeypatch.setattr(app.tasks[SWEEP_OUTBOX], "delay", broken)
    ran = []
    monkeypatch.setattr(app.tasks[EXPIRE_STALE_PAYMENTS], "delay", lambda: ran.append(1))
    schedule = Schedule(app)
    long_ago = datetime.now(timezone.utc) - timedelta(days=2)
    schedule.entries["sweep-outbox"][2] = schedule.entries["expire-payment-links"][2] = long_ago
    started, _ = schedule.tick()
    assert {"sweep-outbox", "expire-payment-links"} <= set(started) and ran == [1]
    assert any("periodic job failed" in r.getMessage() for r in caplog.records)
