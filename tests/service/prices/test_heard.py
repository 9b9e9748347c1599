"""What is imported is heard at once: each process keeps today's prices five minutes, but an import's version bump
is read within a minute and the prices are read again, a mandi the import created included; of several varieties a
farmer hears the middle one, and a reported price over a demo one."""
import json
from datetime import date

import pytest
import redis
from sqlalchemy import select

from dialogs.ussd import UssdLayout
from farmdb.models import District
from service import dialog_services
from service.conversations import Conversations
from service.dialog_services import DialogServices
from service.prices import freshness
from service.prices.freshness import PricesVersion
from service.prices.runs import import_text
from service.reference import ReferenceData
from tests.service.prices.conftest import recorded

DAY = date(2026, 12, 4)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def nashik(prices_db):
    with prices_db() as db:
        return db.scalar(select(District.id).where(District.name == "Nashik"))


def _services(service, version) -> DialogServices:
    return DialogServices(reads=service.backends.reads, reference=ReferenceData(service.backends.sessions),
                          weather=None, layout=UssdLayout(), default_locale="en", timezone="Asia/Kolkata",
                          today=lambda: DAY, prices_version=version)


def _heard(services, crop, district):
    return [(p.mandi.names["en"], p.min_price, p.modal_price, p.max_price) for p in services.prices(crop, district, 9)]


def _import(service, records, name="day.json"):
    answer = recorded("maharashtra_page1.json")
    answer["records"] = records
    return import_text(service, json.dumps(answer), name=name)


def test_an_import_is_heard_within_a_minute_by_a_process_that_had_cached_the_prices(service, nashik, monkeypatch):
    monkeypatch.setattr(dialog_services, "NEW_MANDI_RELOAD_S", 0)
    clock = Clock()
    services = _services(service, PricesVersion(service.backends.redis, clock=clock).current)
    assert _heard(services, "onion", nashik) == []  # the demo week is July's: nothing for December
    _import(service, recorded("maharashtra_page1.json")["records"])
    clock.now += 30
    assert _heard(services, "onion", nashik) == []  # within the minute: the cached answer, no Redis read
    clock.now += 31
    assert sorted(_heard(services, "onion", nashik)) == [("Lasalgaon", 1500, 2000, 2300),
                                                         ("Lasalgaon (Niphad)", 1400, 1950, 2250)]


def test_the_gateway_s_services_ask_redis_for_the_version(service, nashik, monkeypatch):
    monkeypatch.setattr(freshness, "CHECK_EVERY_S", 0)
    monkeypatch.setattr(dialog_services, "NEW_MANDI_RELOAD_S", 0)
    conversations = Conversations(service, today=lambda: DAY)
    assert conversations.ussd_services.prices("potato", nashik) == []
    _import(service, recorded("maharashtra_page1.json")["records"])
    for services in (conversations.ussd_services, conversations.sms_services, conversations.voice_services):
        assert {p.mandi.names["en"] for p in services.prices("potato", nashik)} == {"Pune (Gultekdi)", "Pune (Moshi)"}


def test_of_several_varieties_the_middle_one_is_heard_with_its_own_range(service, nashik):
    onion = recorded("maharashtra_page1.json")["records"][0]
    varieties = [dict(onion, variety=v, min_price=str(low), max_price=str(high), modal_price=str(modal))
                 for v, low, modal, high in [("Red", 1500, 2000, 2300), ("White", 2500, 3000, 3400),
                                              ("Local", 900, 1200, 1500)]]
    report = _import(service, varieties)
    assert report.stored == 3  # one row per variety
    heard = _heard(_services(service, lambda: None), "onion", nashik)
    assert heard == [("Lasalgaon", 1500, 2000, 2300)]


def test_redis_away_leaves_the_prices_cached_as_before(service):
    class Down:
        def get(self, key):
            raise redis.ConnectionError("gone")
    clock = Clock()
    version = PricesVersion(Down(), clock=clock)
    assert version.current() is None
    clock.now += 61
    assert version.current() is None  # logged, and not asked again for a minute
