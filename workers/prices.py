"""The daily price fetch (workers.beat, at PRICE_FETCH_HOUR when PRICE_PROVIDER=agmarknet): today's mandi prices
from data.gov.in for AGMARKNET_STATES (all of India when empty), stored by service.prices, its report logged. And
the price alerts, checked after every import that changed a price (service.prices.runs asks for it).

A refused key is logged as an error and not retried (nothing will change until someone fixes the key); a quota or
an API that stayed down is tried again an hour later, three times, by a worker (in-process there is nobody to hand
a retry to: the next day's run catches up, as each record carries its own date).
"""
from __future__ import annotations

import logging
from datetime import date

from service.prices import alerts
from service.prices.agmarknet import AgmarknetError
from service.prices.runs import ImportBusy, fetch
from service.tasks import CHECK_PRICE_ALERTS
from workers.registry import ServiceTask, TaskList

log = logging.getLogger(__name__)

FETCH_PRICES = "workers.prices.fetch_prices"
RETRY_AFTER_S = 3600
MAX_RETRIES = 3

TASKS = TaskList()


# Paging through all of India, with pauses between retries, can take minutes: more than the default limit.
@TASKS.task(FETCH_PRICES, max_retries=MAX_RETRIES, time_limit=1800, soft_time_limit=1700)
def fetch_prices(task: ServiceTask, day: str | None = None) -> dict:
    service = task.service
    settings = service.settings
    if settings.price_provider != "agmarknet":
        log.info("price fetch skipped: PRICE_PROVIDER is %s", settings.price_provider)
        return {"skipped": "PRICE_PROVIDER"}
    try:
        report = fetch(service, states=sorted(settings.agmarknet_states), day=date.fromisoformat(day) if day else None)
    except (AgmarknetError, ImportBusy) as exc:
        retryable = getattr(exc, "retryable", isinstance(exc, ImportBusy))
        if not retryable or task.in_process or task.request.retries >= MAX_RETRIES:
            log.error("price fetch failed: %s", exc, extra={"retryable": retryable})
            return {"failed": str(exc)}
        log.warning("price fetch failed, trying again in an hour: %s", exc)
        raise task.retry(countdown=RETRY_AFTER_S)
    log.info("prices fetched: %s", report.lines()[0], extra=report.as_log())
    return report.as_log()


@TASKS.task(CHECK_PRICE_ALERTS, time_limit=1800, soft_time_limit=1700)
def check_price_alerts(task: ServiceTask) -> dict:
    """After an import has committed: every active alert against the new prices (service.prices.alerts)."""
    service = task.service
    checked = alerts.check(service, alerts.local_today(service))
    log.info("price alerts checked: %s sent", checked.sent, extra=checked.as_log())
    return checked.as_log()
