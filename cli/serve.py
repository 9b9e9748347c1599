"""`kheti serve`, `kheti worker` and `kheti beat`: the processes of a deployment."""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click
from sqlalchemy.exc import OperationalError
from werkzeug.serving import WSGIRequestHandler

from cli.common import open_service, with_settings
from farmdb.migrate import current_revision, head_revision
from gateway import create_app
from service.cpu_quota import available_cpus
from service.settings import Settings, SettingsError
from workers import beat as periodic
from workers.app import WorkerApp, quiet_in_json, run_worker

log = logging.getLogger(__name__)

SCHEMA_WAIT_S = 600  # a migration job's time; past it the worker stops, saying why, and is started again
GUNICORN_CONF = Path(__file__).resolve().parents[1] / "gateway" / "gunicorn_conf.py"


class DevServerHandler(WSGIRequestHandler):
    """The development server says "Server: kheti", not "Werkzeug/3.1.9 Python/3.11.2": a version to look up
    known bugs for is nothing to give a stranger (gunicorn says the same: gateway/gunicorn_conf.py)."""

    def version_string(self) -> str:
        return "kheti"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 for all).")
@click.option("--port", type=int, default=None, help="Port (default: PORT, 5000).")
@click.option("--prod", is_flag=True, help="Run under gunicorn with production settings instead of the dev server.")
@with_settings
def serve(settings: Settings, host: str, port: int | None, prod: bool):
    """Serve the gateway."""
    port = port or settings.port
    if prod:
        os.environ["PORT"] = str(port)
        if not settings.redis_url:  # the in-process Redis stand-in is one per process: sessions need one process
            os.environ["WEB_CONCURRENCY"] = "1"
            click.echo("REDIS_URL is not set: serving with one gunicorn worker (sessions live in-process)", err=True)
        # Through this interpreter: gunicorn need not be on PATH (an unactivated virtualenv).
        os.execv(sys.executable, [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF),
                                  "gateway.wsgi:app"])
    service, worker_app = open_service(settings, schema_required=False)
    app = create_app(service=service)
    if settings.tasks_in_process:
        periodic.start(worker_app)  # no beat process on the embedded default: run the periodic jobs in this one
    click.echo(f"Kheti Sahayak gateway on http://{host}:{port}  (health: /healthz, readiness: /readyz)", err=True)
    app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True, request_handler=DevServerHandler)


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--queues", "-Q", default="sms.priority,sms.bulk,default", show_default=True)
@click.option("--concurrency", "-c", type=int, default=None,
              help="Processes (default: one per CPU the container's CPU quota allows).")
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@with_settings
def worker(settings: Settings, queues: str, concurrency: int | None, celery_args: tuple[str, ...]):
    """Run a Celery worker (needs CELERY_BROKER_URL)."""
    # Celery's own default is os.cpu_count(): the host's cores, however few CPUs the container's quota allows.
    argv = ["worker", "--queues", queues, "--loglevel", settings.log_level,
            "--concurrency", str(concurrency or available_cpus())]
    run_worker(_tasks(settings, "worker"), argv + list(celery_args))


@click.command()
@with_settings
def beat(settings: Settings):
    """Run the Celery beat scheduler for periodic jobs (exactly one per deployment)."""
    app = _tasks(settings, "beat")
    schedule = Path(settings.var_dir) / "celerybeat-schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    app.start([*quiet_in_json(settings), "beat", "--loglevel", settings.log_level, "--schedule", str(schedule)])


def _tasks(settings: Settings, what: str) -> WorkerApp:
    if settings.tasks_in_process:
        raise SettingsError("CELERY_BROKER_URL", f"must be set to run a {what} "
                            "(without it, tasks already run inside the gateway process)")
    service, app = open_service(settings, schema_required=False)
    wait_for_schema(service, what)
    return app


def wait_for_schema(service, what: str, *, timeout_s: float = SCHEMA_WAIT_S, pause_s: float = 5.0) -> None:
    """A worker or beat of new code takes no task until the database is at its schema: started before the
    migration has run (a rolling deploy), it waits for it, where the gateway says so on /readyz instead. Past the
    timeout it stops with the reason, and its supervisor starts it again."""
    head, waited = head_revision(), 0.0
    while True:
        try:
            found = current_revision(service.backends.engine)
        except OperationalError as exc:  # the database is not up yet either: the same wait
            found = f"unreachable ({type(exc).__name__})"
        if found == head:
            return
        if waited >= timeout_s:
            raise SettingsError("DATABASE_URL", f"the database is at schema {found or 'none'}, not {head}, after "
                                f"{timeout_s:.0f} s: run `kheti db upgrade` before the {what}s of this release")
        if waited == 0:
            log.warning("%s waiting for the database schema %s (found %s): run `kheti db upgrade`", what, head,
                        found or "none")
        service.clock.sleep(pause_s)
        waited += pause_s


COMMANDS = (serve, worker, beat)
