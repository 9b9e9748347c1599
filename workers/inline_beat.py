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


def _run(settings: Settings) -> None:
    celery.loader.import_default_modules()  # the task modules, as a worker would import them
    entries = {}
    for name, entry in beat_schedule(settings).items():
        timing = entry["schedule"]
        timing = every(timing, app=celery) if isinstance(timing, float) else timing
        timing.app = celery  # crontabs read the app's time zone (TIMEZONE)
        entries[name] = [entry["task"], timing, datetime.now(timezone.utc)]
    stop = threading.Event()
    while not stop.is_set():
        wait = 60.0
        for name, entry in entries.items():
            task, timing, last = entry
            due, next_in = timing.is_due(last)
            if due:
                entry[2] = datetime.now(timezone.utc)
                try:
                    celery.tasks[task].delay()
                except Exception:  # one job's failure must not stop the others
                    log.exception("periodic job failed", extra={"job": name})
            wait = min(wait, max(1.0, next_in))
        stop.wait(wait)
