"""gunicorn settings for production: sync workers answer a USSD hop in milliseconds, so threads buy little;
scale with processes per core and with more gateway containers behind the load balancer. "Per core" means the CPUs
the container may use (its cgroup's CPU quota), not the host's: WEB_CONCURRENCY, when set, still decides."""
import os

import gunicorn.http.wsgi
from gunicorn.glogging import Logger

from service.cpu_quota import gunicorn_workers
from service.logs import configure_for, configure_logging
from service.settings import Settings, SettingsError

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = gunicorn_workers()
worker_class = "sync"
timeout = 15  # AT gives an application 10-15 s for a hop; never hold one longer
graceful_timeout = 20
keepalive = 5
accesslog = None  # the app logs each request as JSON with its request id
max_requests = 10000  # recycle workers now and then against slow leaks in third-party code
max_requests_jitter = 1000

# "Server: kheti" instead of "gunicorn" on every answer: the product behind it is nothing to tell a stranger
# (the dev server says the same: cli/serve.py). Each response reads this name when it is made, in every worker.
gunicorn.http.wsgi.SERVER = "kheti"


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)


class OneLog(Logger):
    """gunicorn's own lines (start-up, a worker timeout, "Error handling request /path?query") go through the
    service's one logging set-up: the same format, phone numbers masked, the webhook token in a query redacted."""

    def setup(self, cfg):
        super().setup(cfg)
        try:
            configure_for(Settings.from_env())
        except SettingsError:  # the app will refuse to load and say why; until then, still mask and redact
            configure_logging(os.environ.get("LOG_LEVEL", "INFO").upper(), os.environ.get("LOG_FORMAT", "json"))


logger_class = OneLog
