"""The background work the core asks for once a transaction has committed: send an SMS, make a payment link,
dispatch a broadcast, call a farmer back. The core only names it; the workers carry it out (workers.app registers
a task under each name, in a worker process or, without a broker, in-process), and a test may simply record it."""
from __future__ import annotations

from typing import Callable

# Task names are what a broker carries: keep them when code moves, or queued messages find no task.
SEND_SMS = "workers.tasks.send_sms"
SEND_PAYMENT_LINK = "workers.payments.send_payment_link"
DISPATCH_BROADCAST = "workers.broadcasts.dispatch_broadcast"
CALL_BACK = "workers.calls.call_back"
IMPORT_FARMERS = "workers.farmers.import_farmers"
CHECK_PRICE_ALERTS = "workers.prices.check_price_alerts"
# Whoever runs tasks must know all of these.
NAMES = (SEND_SMS, SEND_PAYMENT_LINK, DISPATCH_BROADCAST, CALL_BACK, IMPORT_FARMERS, CHECK_PRICE_ALERTS)

Enqueue = Callable[[str, tuple], None]  # (task name, arguments): hand one task to whoever runs them


def _unattached(name: str, args: tuple) -> None:
    raise RuntimeError(f"{name} was asked for, but this Service has no task queue: boot it with workers.app.boot")


class Tasks:
    def __init__(self, enqueue: Enqueue = _unattached):
        self._enqueue = enqueue

    @property
    def attached(self) -> bool:
        return self._enqueue is not _unattached

    def send_sms(self, message_id: int) -> None:
        self._enqueue(SEND_SMS, (message_id,))

    def send_payment_link(self, payment_id: int) -> None:
        self._enqueue(SEND_PAYMENT_LINK, (payment_id,))

    def dispatch_broadcast(self, broadcast_id: int) -> None:
        self._enqueue(DISPATCH_BROADCAST, (broadcast_id,))

    def call_back(self, ring_id: int) -> None:
        self._enqueue(CALL_BACK, (ring_id,))

    def import_farmers(self, token: str) -> None:
        self._enqueue(IMPORT_FARMERS, (token,))

    def check_price_alerts(self) -> None:
        self._enqueue(CHECK_PRICE_ALERTS, ())
