"""The fault-injection suite: real services broken on purpose (a Redis of its own paused and killed, a PostgreSQL
lock held on the tables a hop reads, a real worker killed mid-broadcast). It needs what only CI and a full machine
have, so it runs when TEST_DATABASE_URL and TEST_REDIS_URL are set and skips on the embedded default."""
from __future__ import annotations

import os

import pytest

REAL = bool(os.environ.get("TEST_DATABASE_URL") and os.environ.get("TEST_REDIS_URL"))


def pytest_collection_modifyitems(config, items):
    if REAL:
        return
    skip = pytest.mark.skip(
        reason="fault injection needs real PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL)")
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(skip)
