"""gunicorn settings for production: sync workers answer a USSD hop in milliseconds, so threads buy little;
scale with processes per core and with more gateway containers behind the load balancer."""
import multiprocessing
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 15  # AT gives an application 10-15 s for a hop; never hold one longer
graceful_timeout = 20
keepalive = 5
accesslog = None  # the app logs each request as JSON with its request id
max_requests = 10000  # recycle workers now and then against slow leaks in third-party code
max_requests_jitter = 1000


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)
