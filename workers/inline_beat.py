"""The periodic jobs of `kheti beat`, run on a thread of `kheti serve` when there is no broker (the embedded
default): the outbox sweeper releases SMS held for their window, and the morning alerts go out, with nothing else
to start. Deployments with a broker run `kheti beat` instead (exactly one)."""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

from celery.schedules import schedule as every

from gateway.settings import Settings
from workers.celery_app import beat_schedule, celery

log = logging.getLogger(__name__)


def start(settings: Settings) -> threading.Thread:
    thread = threading.Thread(target=_run, args=(settings,), name="kheti-inline-beat", daemon=True)
    thread.start()
    return thread


class Schedule:
    """The beat schedule, ticking by hand: `tick()` runs what is due and says how long to sleep."""

    def __init__(self, settings: Settings, started: datetime | None = None):
        celery.loader.import_default_modules()  # the task modules, as a worker would import them
        started = started or datetime.now(timezone.utc)
        self.entries = {}
        for name, entry in beat_schedule(settings).items():
            timing = entry["schedule"]
            timing = every(timing, app=celery) if isinstance(timing, float) else timing
            timing.app = celery  # crontabs read the app's time zone (TIMEZONE)
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
                    celery.tasks[task].delay()
                except Exception:  # one job's failure must not stop the others
                    log.exception("periodic job failed", extra={"job": name})
            wait = min(wait, max(1.0, next_in))
        return started, wait


def _run(settings: Settings) -> None:
    schedule, stop = Schedule(settings), threading.Event()
    while not stop.is_set():
        _, wait = schedule.tick()
        stop.wait(wait)
