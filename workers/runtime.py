"""What a task needs to run: the backends and the settings of this process.

The gateway installs its own backends when tasks run in-process (so both share one SQLite file and one Redis
stand-in); a worker process installs them from the environment on first use.
"""
from __future__ import annotations

from gateway.backends import Backends
from gateway.settings import Settings
from workers import celery_app

_current: tuple[Settings, Backends] | None = None


def install(settings: Settings, backends: Backends) -> None:
    global _current
    from workers.payment_providers import provider_for
    from workers.senders import sender_for
    sender_for(settings)  # an unusable SMS or payment provider stops start-up here, with its reason
    provider_for(settings)
    celery_app.configure(settings)
    _current = (settings, backends)


def current() -> tuple[Settings, Backends]:
    if _current is None:
        settings = Settings.from_env()
        install(settings, Backends.open(settings))
    return _current


def settings() -> Settings:
    """This process's settings, without opening any backend (for code that only needs to read a knob)."""
    return _current[0] if _current is not None else Settings.from_env()
