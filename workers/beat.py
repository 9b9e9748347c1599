"""The periodic jobs: `schedule(settings)` is what `kheti beat` runs (exactly one per deployment), and `Schedule`
ticks the same jobs on a thread of `kheti serve` when there is no broker (the embedded default), so the outbox
sweeper releases SMS held for their window and the morning alerts go out with nothing else to start."""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

from celery import Celery
from celery.schedules import crontab
from celery.schedules import schedule as every

from service.settings import Settings
from workers.alerts import SEND_STAGE_ADVISORIES, SEND_WEATHER_ALERTS
from workers.broadcasts import RUN_CAMPAIGNS
from workers.payments import EXPIRE_STALE_PAYMENTS, REMIND_RENEWALS
from workers.prices import FETCH_PRICES
from workers.spool import REPLAY_WEBHOOKS
from workers.sweeper import SWEEP_OUTBOX

log = logging.getLogger(__name__)


def schedule(settings: Settings) -> dict:
    """Periodic jobs, in the farmers' time zone (TIMEZONE)."""
    jobs = {
        "sweep-outbox": {"task": SWEEP_OUTBOX, "schedule": 60.0},
        "replay-webhooks": {"task": REPLAY_WEBHOOKS, "schedule": 60.0},
        "campaigns": {"task": RUN_CAMPAIGNS, "schedule": 60.0},  # a campaign's 07:00 goes by 07:01
        "weather-alerts": {"task": SEND_WEATHER_ALERTS, "schedule": crontab(hour=settings.alert_hour, minute=0)},
        # Queued at the same hour; service-explicit, so they wait for their window (10:00) in the outbox.
        "crop-stage-advisories": {"task": SEND_STAGE_ADVISORIES,
                                  "schedule": crontab(hour=settings.alert_hour, minute=15)},
        "renewal-reminders": {"task": REMIND_RENEWALS, "schedule": crontab(hour=10, minute=30)},
        "expire-payment-links": {"task": EXPIRE_STALE_PAYMENTS, "schedule": crontab(minute=20)},
    }
    if settings.price_provider == "agmarknet":  # demo prices come from `kheti seed`: nothing to fetch
        jobs["fetch-prices"] = {"task": FETCH_PRICES, "schedule": crontab(hour=settings.price_fetch_hour, minute=0)}
    return jobs


class Schedule:
    """The app's beat schedule, ticking by hand: `tick()` runs what is due and says how long to sleep."""

    def __init__(self, app: Celery, started: datetime | None = None):
        self.app = app
        started = started or datetime.now(timezone.utc)
        self.entries = {}
        for name, entry in app.conf.beat_schedule.items():
            timing = entry["schedule"]
            timing = every(timing, app=app) if isinstance(timing, float) else timing
            timing.app = app  # crontabs read the app's time zone (TIMEZONE)
            self.entries[name] = [entry["task"], timing, started]

    def tick(self, now: datetime | None = None) -> tuple[list[str], float]:
        """(the jobs started, seconds until the next may be due)."""
        started, wait = [], 60.0
        for name, entry in self.entries.items():
            task, timing, last = entry
            due, next_in = timing.is_due(last)
            if due:
                entry[2] = now or datetime.now(timezone.utc)
                started.append(name)
                try:
                    self.app.tasks[task].delay()
                except Exception:  # one job's failure must not stop the others
                    log.exception("periodic job failed", extra={"job": name})
            wait = min(wait, max(1.0, next_in))
        return started, wait


def start(app: Celery) -> threading.Thread:
    """Tick the schedule on a daemon thread of this process, for as long as it lives."""
    thread = threading.Thread(target=_run, args=(Schedule(app),), name="kheti-inline-beat", daemon=True)
    thread.start()
    return thread


def _run(ticking: Schedule) -> None:
    stop = threading.Event()
    while not stop.is_set():
        _, wait = ticking.tick()
        stop.wait(wait)
