"""A worker's warm shutdown, told to the task that is sending.

Celery takes SIGTERM (docker stop, Kubernetes) in the worker's main process and waits for the running tasks to end;
a broadcast chunk would go on sending its hundreds of messages first, longer than a container's grace period. So
the send path asks between provider requests whether the worker is stopping, and if so stops: the request in flight
is answered and recorded, the rest of the chunk goes back to the queue (workers.sending, workers.tasks).

Only the main process hears the signal, and the prefork pool's processes run the tasks: it sets a flag in memory
shared with them, made before they were forked. A plain shared byte, not a multiprocessing.Event: a pool process
killed while holding an Event's lock would leave the main process stuck in its signal handler.
"""
from __future__ import annotations

import multiprocessing

from celery import signals


class Shutdown:
    def __init__(self) -> None:
        self._told = None

    def watch(self) -> None:
        """In a worker's main process, before its pool starts."""
        self._told = multiprocessing.RawValue("b", 0)
        signals.worker_shutting_down.connect(self._tell, weak=False)

    def _tell(self, **_signal) -> None:
        self._told.value = 1

    def asked(self) -> bool:
        return self._told is not None and self._told.value == 1
