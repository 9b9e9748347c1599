"""The Celery app, one per Service: `boot(settings)` builds both. With CELERY_BROKER_URL unset, tasks run in-process
when queued (the embedded default); with it set, `kheti worker` processes consume them. The core asks for work the
same way either way (service.tasks).

Queues: sms.priority (replies, receipts, payment notices, call-backs), sms.bulk (broadcast chunks) and default
(dispatching, schedules, payments). Run at least one worker on sms.priority alone, so a million-farmer broadcast on
sms.bulk never delays a farmer's reply: `kheti worker -Q sms.priority` beside `kheti worker -Q sms.bulk,default`.
"""
from __future__ import annotations

from celery import Celery
from celery.signals import setup_logging, worker_process_init

from service.connections import Backends
from service.context import Clock, Service
from service.logs import configure_for
from service.settings import Settings
from service.tasks import NAMES, Tasks
from workers import alerts, beat, broadcasts, calls, farmers, payments, prices, spool, sweeper, tasks
from workers.registry import ServiceTask
from workers.shutdown import Shutdown

TASK_MODULES = (tasks, payments, broadcasts, alerts, sweeper, calls, farmers, spool, prices)

CONFIG = dict(
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
    # A send is one bounded provider call per message; a chunk of 500 well under this. A task past it is killed,
    # and its rows are found by the sweeper (workers.sending.SENDING_STALE is longer).
    task_time_limit=300,
    task_soft_time_limit=240,
    enable_utc=True,
)


@setup_logging.connect(weak=False)
def _keep_our_logging(**_) -> None:
    """Answering this signal stops Celery from replacing the root logger's handlers with its own unmasked ones:
    `kheti worker` and `kheti beat` set up logging (service.logs) before Celery starts."""


class WorkerApp(Celery):
    """The tasks of one Service, registered on this app only (not shared with every Celery app of the process)."""

    def __init__(self, service: Service):
        super().__init__("kheti", set_as_current=False, task_cls=ServiceTask)
        self.service = service
        self.shutdown = Shutdown()  # asked by the send path between provider requests (workers.shutdown)
        settings = service.settings
        specs = [spec for module in TASK_MODULES for spec in module.TASKS]
        self.conf.update(CONFIG, timezone=settings.timezone, beat_schedule=beat.schedule(settings),
                         task_routes={spec.name: {"queue": spec.queue} for spec in specs})
        if settings.celery_broker_url:
            self.conf.update(broker_url=settings.celery_broker_url, task_always_eager=False)
        else:
            self.conf.update(broker_url="memory://localhost/", task_always_eager=True, task_eager_propagates=True)
        for spec in specs:
            self.task(spec.run, name=spec.name, bind=True, shared=False, **spec.options)

    def enqueue(self, name: str, args: tuple) -> None:
        """The core's request for work ("send this SMS") as this app's task: queued, or run here in-process."""
        self.tasks[name].delay(*args)


def boot(settings: Settings, backends: Backends | None = None, clock: Clock | None = None
         ) -> tuple[Service, WorkerApp]:
    """The Service and its task app, for any process: the gateway, a worker, a CLI command, a test."""
    service = Service.open(settings, backends, clock)
    app = WorkerApp(service)
    missing = sorted(set(NAMES) - set(app.tasks))
    if missing:
        raise RuntimeError(f"the core asks for tasks no worker module declares: {', '.join(missing)}")
    service.attach_tasks(Tasks(app.enqueue))
    return service, app


def run_worker(app: WorkerApp, argv: list[str]) -> None:
    """`kheti worker`: consume the queues until stopped. Each prefork child opens its own database connections
    rather than share its parent's pool (SQLAlchemy's advice for forked processes)."""
    worker_process_init.connect(lambda **_: app.service.backends.after_fork(), weak=False)
    app.shutdown.watch()  # before the pool forks: its processes share the flag
    configure_for(app.service.settings)
    app.worker_main(quiet_in_json(app.service.settings) + argv)


def quiet_in_json(settings: Settings) -> list[str]:
    """Celery prints a banner on stdout; a log collector reading JSON lines should get none."""
    return ["--quiet"] if settings.log_format == "json" else []
