"""`kheti serve`, `kheti worker` and `kheti beat`: the processes of a deployment."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from werkzeug.serving import WSGIRequestHandler

from cli.common import open_service, with_settings
from gateway import create_app
from service.settings import Settings, SettingsError
from workers import beat as periodic
from workers.app import WorkerApp, quiet_in_json, run_worker

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
@click.option("--concurrency", "-c", type=int, default=None, help="Processes (default: one per core).")
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@with_settings
def worker(settings: Settings, queues: str, concurrency: int | None, celery_args: tuple[str, ...]):
    """Run a Celery worker (needs CELERY_BROKER_URL)."""
    argv = ["worker", "--queues", queues, "--loglevel", settings.log_level]
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
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
    return open_service(settings, schema_required=False)[1]


COMMANDS = (serve, worker, beat)
