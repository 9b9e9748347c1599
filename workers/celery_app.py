"""The Celery app. With CELERY_BROKER_URL unset, tasks run in-process when queued (the embedded default); with it set,
`kheti worker` processes consume them. Producers call the same `.delay()` either way.

Queues: sms.priority (replies, receipts, payment notices), sms.bulk (broadcast chunks) and default (dispatching,
schedules, payments). Run at least one worker on sms.priority alone, so a million-farmer broadcast on sms.bulk never
delays a farmer's reply: `kheti worker -Q sms.priority` beside `kheti worker -Q sms.bulk,default`.
"""
from __future__ import annotations

from celery import Celery
from celery.schedules import crontab

from gateway.settings import Settings

celery = Celery("kheti", include=["workers.tasks", "workers.payments", "workers.sweeper", "workers.broadcasts",
                                  "workers.alerts", "workers.calls"])

celery.conf.update(
    task_serializer="json",
    accept_content=["json"],
    result_serializer="json",
    task_ignore_result=True,  # results live in the outbox rows, not in a result backend
    task_acks_late=True,  # a worker that dies mid-task leaves it on the queue for another
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,  # a slow provider must not hold a batch of messages hostage
    broker_connection_retry_on_startup=True,
    # A broker blip must not cancel a running send: its rows would sit "sending" until the sweeper sent them again.
    worker_cancel_long_running_tasks_on_connection_loss=False,
    task_default_queue="default",
    task_routes={
        "workers.tasks.send_sms": {"queue": "sms.priority"},
        "workers.tasks.send_bulk": {"queue": "sms.bulk"},
        "workers.payments.send_payment_link": {"queue": "sms.priority"},
        "workers.calls.call_back": {"queue": "sms.priority"},  # a farmer who rang is waiting
    },
    # A send is one bounded provider call per message; a chunk of 500 well under this. A task past it is killed,
    # and its rows are found by the sweeper (workers.sending.SENDING_STALE is longer).
    task_time_limit=300,
    task_soft_time_limit=240,
    enable_utc=True,
)


def beat_schedule(settings: Settings) -> dict:
    """Periodic jobs, in the farmers' time zone (TIMEZONE)."""
    return {
        "sweep-outbox": {"task": "workers.sweeper.sweep_outbox", "schedule": 60.0},
        "weather-alerts": {"task": "workers.alerts.send_weather_alerts",
                           "schedule": crontab(hour=settings.alert_hour, minute=0)},
        # Queued at the same hour; service-explicit, so they wait for their window (10:00) in the outbox.
        "crop-stage-advisories": {"task": "workers.alerts.send_stage_advisories",
                                  "schedule": crontab(hour=settings.alert_hour, minute=15)},
        "renewal-reminders": {"task": "workers.payments.remind_renewals", "schedule": crontab(hour=10, minute=30)},
        "expire-payment-links": {"task": "workers.payments.expire_stale_payments",
                                 "schedule": crontab(minute=20)},
    }


def configure(settings: Settings) -> Celery:
    celery.conf.update(timezone=settings.timezone, beat_schedule=beat_schedule(settings))
    if settings.celery_broker_url:
        celery.conf.update(broker_url=settings.celery_broker_url, task_always_eager=False)
    else:
        celery.conf.update(broker_url="memory://", task_always_eager=True, task_eager_propagates=True)
    return celery
