"""The Celery app. With CELERY_BROKER_URL unset, tasks run in-process when queued (the embedded default); with it set,
`kheti worker` processes consume them. Producers call the same `.delay()` either way."""
from __future__ import annotations

from celery import Celery

from gateway.settings import Settings

celery = Celery("kheti", include=["workers.tasks", "workers.payments"])

celery.conf.update(
    task_serializer="json",
    accept_content=["json"],
    result_serializer="json",
    task_ignore_result=True,  # results live in the outbox rows, not in a result backend
    task_acks_late=True,  # a worker that dies mid-task leaves it on the queue for another
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,  # a slow provider must not hold a batch of messages hostage
    broker_connection_retry_on_startup=True,
    task_default_queue="default",
    task_routes={"workers.tasks.send_sms": {"queue": "sms.priority"}},
    timezone="UTC",
)


def configure(settings: Settings) -> Celery:
    if settings.celery_broker_url:
        celery.conf.update(broker_url=settings.celery_broker_url, task_always_eager=False)
    else:
        celery.conf.update(broker_url="memory://", task_always_eager=True, task_eager_propagates=True)
    return celery
