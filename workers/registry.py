"""How a task module declares its tasks: plain functions taking the bound Celery task first, listed with their
name, queue and options. Nothing is registered on import: workers.app's factory registers every list on the app it
builds, so each app (a worker's, the gateway's in-process one, a test's) has its own tasks and its own Service."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from celery import Task
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import OperationalError

# PostgreSQL or Redis unreachable: the task is tried again with growing pauses, and if it still cannot run the
# rows wait, queued, for the sweeper. Nothing was claimed, so nothing was sent.
OUTAGES = dict(autoretry_for=(OperationalError, RedisConnectionError), retry_backoff=5, retry_backoff_max=300,
               retry_jitter=True)


class ServiceTask(Task):
    """A task of a WorkerApp: `self.service` is the Service that app was built for."""

    @property
    def service(self):
        return self.app.service

    @property
    def in_process(self) -> bool:
        """Run inside the caller (eager, without a broker, or called directly): nobody to hand a retry to."""
        return bool(self.request.is_eager or self.request.called_directly)


@dataclass(frozen=True)
class TaskSpec:
    run: Callable
    name: str
    queue: str
    options: dict = field(default_factory=dict)


class TaskList(list):
    def task(self, name: str, *, queue: str = "default", **options) -> Callable[[Callable], Callable]:
        """Declare `run(task, *args)` as the task `name` on `queue`; the function itself is returned unchanged."""
        def declare(run: Callable) -> Callable:
            self.append(TaskSpec(run, name, queue, options))
            return run
        return declare
