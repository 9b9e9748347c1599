"""The Service: everything an entrance needs to do the service's work, built once per process by that entrance's
boot (the gateway's app factory, the worker's, a CLI command) and handed down explicitly; tests build their own.
Nothing of it lives in module globals.

- settings, and the connections they name (the database, Redis);
- the task queue the core hands background work to (attached once, by workers.app.boot);
- what is built once and kept: the DLT templates, the SMS and voice providers, the payment provider;
- the clock the rate limiter and in-process waits keep (tests move it instead of sleeping).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from service.built_once import BuiltOnce
from service.connections import Backends
from service import dlt
from service.dlt import TemplateBook
from service.payment_providers import PaymentProvider, payment_provider_for
from service.providers import Provider, provider_for
from service.settings import Settings
from service.tasks import Tasks


class Clock:
    """Milliseconds and sleeping. The default has no milliseconds of its own: the rate limiter then reads Redis's
    clock, which every host shares."""

    def now_ms(self) -> int | None:
        return None

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass
class Service:
    settings: Settings
    backends: Backends
    tasks: Tasks = field(default_factory=Tasks)
    clock: Clock = field(default_factory=Clock)
    templates: TemplateBook = field(default_factory=TemplateBook)
    _built: BuiltOnce = field(default_factory=BuiltOnce, repr=False)

    @classmethod
    def open(cls, settings: Settings, backends: Backends | None = None, clock: Clock | None = None) -> "Service":
        """Connect to what the settings name (unless given the backends); building the SMS and payment providers
        here stops start-up at once, with its reason, when their configuration cannot work."""
        service = cls(settings, backends or Backends.open(settings), clock=clock or Clock())
        service.provider()
        service.payment_provider()
        return service

    def attach_tasks(self, tasks: Tasks) -> None:
        """The queue background work goes to, given once by whoever boots the process."""
        if self.tasks.attached:
            raise RuntimeError("this Service has its task queue already")
        self.tasks = tasks

    def provider(self, name: str | None = None) -> Provider:
        """A provider's outbound side, SMS_PROVIDER's by default (a call-back goes by the provider that rang)."""
        name = name or self.settings.sms_provider
        return self._built.get_or_build(("provider", name), lambda: provider_for(self.settings, name))

    def provider_for(self, phone: str) -> Provider:
        """The provider that sends to this number (PROVIDER_ROUTES by its country prefix, else SMS_PROVIDER)."""
        return self.provider(self.settings.provider_for(phone))

    def dlt_header(self) -> str | None:
        """The registered header our messages to India go out under: the DLT templates we match must carry it."""
        return self.provider_for(dlt.INDIA).dlt_header

    def use_provider(self, name: str, provider: Provider) -> None:
        """Send over `name` with this outbound side instead of building one (a benchmark's provider that answers
        at once)."""
        self._built[("provider", name)] = provider

    def payment_provider(self) -> PaymentProvider:
        return self._built.get_or_build("payments", lambda: payment_provider_for(self.settings))

    def close(self) -> None:
        self.backends.close()
