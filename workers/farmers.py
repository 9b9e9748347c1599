"""Farmers brought in from a file an admin uploaded in the console (service.import_jobs keeps it and its progress)."""
from __future__ import annotations

from service import import_jobs
from service.tasks import IMPORT_FARMERS
from workers.registry import ServiceTask, TaskList

TASKS = TaskList()


@TASKS.task(IMPORT_FARMERS)
def import_farmers(task: ServiceTask, token: str) -> None:
    import_jobs.run(task.service, token)
