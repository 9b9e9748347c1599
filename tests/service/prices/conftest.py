"""Recorded Agmarknet answers and portal files (data/), and the seeded database put back as it was after each test:
the prices an import stored and the mandis it created go, the demo prices it replaced come back."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from farmdb.models import Mandi, MarketPrice
from farmdb.seed import load_all
from tests.conftest import SEED_DAY

DATA = Path(__file__).with_name("data")


def recorded(name: str):
    text = (DATA / name).read_text(encoding="utf-8")
    return json.loads(text) if name.endswith(".json") else text


@pytest.fixture
def prices_db(sessions):
    with sessions() as db:
        seeded_mandis = db.scalar(select(func.max(Mandi.id)))
    yield sessions
    with sessions() as db, db.begin():
        db.execute(delete(MarketPrice).where((MarketPrice.source != "demo") | (MarketPrice.mandi_id > seeded_mandis)
                                             | (MarketPrice.price_date > SEED_DAY)))
        db.execute(delete(Mandi).where(Mandi.id > seeded_mandis))
        load_all(db, today=SEED_DAY)


@pytest.fixture
def service(make_service, prices_db):
    service, _ = make_service()
    return service
