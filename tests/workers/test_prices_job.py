"""The daily price fetch: scheduled only when PRICE_PROVIDER=agmarknet, at PRICE_FETCH_HOUR; it pages through the
recorded answer, stores it and logs its report; a refused key is logged as an error, not retried."""
import logging
from dataclasses import replace

import responses
from celery.schedules import crontab
from responses import matchers
from sqlalchemy import func, select

from farmdb.models import MarketPrice
from service.prices.agmarknet import ENDPOINT
from tests.service.prices.conftest import prices_db, recorded  # noqa: F401 (a fixture)
from workers.beat import schedule
from workers.prices import FETCH_PRICES

KEY = "579b464db66ec23bdd000001jobkey"


def _agmarknet(make_service, **changes):
    return make_service(price_provider="agmarknet", agmarknet_api_key=KEY,
                        agmarknet_states=frozenset({"Maharashtra"}), **changes)


def _page(offset, **kwargs):
    responses.get(ENDPOINT, match=[matchers.query_param_matcher(
        {"offset": str(offset), "filters[state]": "Maharashtra"}, strict_match=False)], **kwargs)


def test_the_fetch_is_scheduled_only_for_agmarknet_at_its_hour(settings):
    assert "fetch-prices" not in schedule(settings)
    entry = schedule(replace(settings, price_provider="agmarknet", agmarknet_api_key=KEY, price_fetch_hour=13))[
        "fetch-prices"]
    assert entry["task"] == FETCH_PRICES and entry["schedule"] == crontab(hour=13, minute=0)


@responses.activate
def test_the_job_stores_the_day_and_logs_its_report(make_service, prices_db, caplog):  # noqa: F811
    _page(0, json=recorded("maharashtra_page1.json"))
    _page(7, json=recorded("maharashtra_page2.json"))
    _, app = _agmarknet(make_service)
    with caplog.at_level(logging.INFO, logger="workers.prices"):
        result = app.tasks[FETCH_PRICES].delay().get()
    assert (result["read"], result["stored"], result["skipped"]["zero price"]) == (13, 8, 1)
    record = next(r for r in caplog.records if r.getMessage().startswith("prices fetched"))
    assert record.getMessage() == ("prices fetched: data.gov.in (2026-12-04): read 13, stored 8, updated 0, "
                                   "unchanged 0, skipped 5")
    assert record.new_mandis == 2
    assert record.new_mandi_names == ["Lasalgaon (Niphad) (Nashik, Maharashtra)", "Pune (Moshi) (Pune, Maharashtra)"]
    assert record.unknown["unknown district"] == {"Kalpanagar, Maharashtra": 1}
    with prices_db() as db:
        assert db.scalar(select(func.count()).where(MarketPrice.source == "agmarknet")) == 8


@responses.activate
def test_a_refused_key_is_logged_as_an_error_and_not_retried(make_service, prices_db, caplog):  # noqa: F811
    _page(0, status=403, json=recorded("refused_key.json"))
    _, app = _agmarknet(make_service)
    result = app.tasks[FETCH_PRICES].delay().get()
    assert result["failed"].startswith("data.gov.in refused AGMARKNET_API_KEY (HTTP 403: Invalid API key)")
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "workers.prices"]
    assert len(errors) == 1 and len(responses.calls) == 1


def test_with_demo_prices_the_job_does_nothing(booted):
    _, app = booted
    assert app.tasks[FETCH_PRICES].delay().get() == {"skipped": "PRICE_PROVIDER"}
