"""Settings: every knob of the service, read from the environment in this one place.

Each variable is declared once in service.variables (name, default, parser, meaning); `Settings.from_env` reads them
all and raises SettingsError naming the first bad one, so start-up fails with one clear line instead of a traceback
later. `kheti config` prints them all (secrets hidden); a test checks the README's configuration table names every one.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields
from typing import Mapping

from farmdb.db import default_url
from service.routing import Routes
from service.simulated_phones import NumberRange
from service.value_types import Price, SendWindows
from service.variables import VARIABLES

__all__ = ["Settings", "SettingsError", "VARIABLES"]


# What each provider needs before it can be used at all, and what more it needs to send SMS: read here for the SMS
# provider at start-up, and by service.providers for any other (the provider that carried a ring calls back).
CREDENTIALS = {"africastalking": ("AT_USERNAME", "AT_API_KEY"), "twilio": ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"),
               "plivo": ("PLIVO_AUTH_ID", "PLIVO_AUTH_TOKEN")}
SENDING = {"twilio": ("TWILIO_FROM",), "plivo": ("PLIVO_FROM",)}


class SettingsError(ValueError):
    """A variable has a value the service cannot run with; str() is the one line to show the operator."""

    def __init__(self, variable: str, problem: str):
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    redis_url: str | None
    celery_broker_url: str | None
    sms_provider: str
    provider_routes: Routes
    at_username: str | None
    at_api_key: str | None
    at_sender_id: str | None
    at_webhook_token: str | None
    twilio_account_sid: str | None
    twilio_auth_token: str | None
    twilio_from: str | None
    plivo_auth_id: str | None
    plivo_auth_token: str | None
    plivo_from: str | None
    plivo_voice_number: str | None
    dlt_entity_id: str | None
    sms_rate_per_second: int
    sms_segment_price: Price
    send_windows: SendWindows
    outbox_sweep_after: int
    admin_api_key: str | None
    payment_provider: str
    razorpay_key_id: str | None
    razorpay_key_secret: str | None
    razorpay_webhook_secret: str | None
    payment_link_ttl_hours: int
    grievance_contact: str
    alert_hour: int
    alert_heavy_rain_mm: float
    alert_heat_c: float
    twilio_voices: tuple
    at_voice_number: str | None
    missed_call_numbers: frozenset
    callback_period: int
    simulator_numbers: NumberRange | None  # None: the console has no phone
    public_base_url: str | None
    default_locale: str
    default_region: str
    ussd_max_chars: int
    ussd_ucs2_max_chars: int
    ussd_ucs2_networks: frozenset
    ussd_session_ttl: int
    ussd_resume_window: int
    weather_provider: str
    price_provider: str
    agmarknet_api_key: str | None
    agmarknet_states: frozenset
    price_fetch_hour: int
    price_stale_days: int
    rasa_url: str | None
    timezone: str
    sms_replies_per_hour: int
    ussd_sessions_per_minute: int
    refused_requests_per_minute: int
    db_statement_timeout_ms: int
    db_lock_timeout_ms: int
    hop_db_timeout_ms: int
    max_request_bytes: int
    port: int
    log_level: str
    log_format: str
    var_dir: str
    secret_key: str | None
    console_idle_minutes: int
    api_rate_per_minute: int
    trusted_proxies: int

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Settings":
        """Read and check every variable; `overrides` (by field name) win over the environment, for tests."""
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for var in VARIABLES:
            raw = environ.get(var.name)
            if raw is not None and raw.strip() == "":
                raw = None  # VAR= in a compose file means "not set"
            if raw is None:
                raw = var.default
            try:
                values[var.name.lower()] = None if raw is None else var.parse(raw)
            except ValueError as exc:
                raise SettingsError(var.name, str(exc)) from None
        values.update(overrides)
        settings = cls(**values)
        settings._check_provider_credentials()
        return settings

    def missing_for(self, provider: str, sending: bool = False) -> list[str]:
        """The variables a provider needs (to send SMS too, with `sending`) that are not set."""
        needs = CREDENTIALS.get(provider, ()) + (SENDING.get(provider, ()) if sending else ())
        return [name for name in needs if not getattr(self, name.lower())]

    def provider_for(self, phone: str) -> str:
        """The provider that sends to this number: its PROVIDER_ROUTES prefix, else SMS_PROVIDER."""
        return self.provider_routes.provider_for(phone, self.sms_provider)

    def _check_provider_credentials(self) -> None:
        for name in self.missing_for(self.sms_provider, sending=True)[:1]:
            raise SettingsError(name, f"must be set when SMS_PROVIDER={self.sms_provider}")
        for prefix, provider in self.provider_routes.rules:
            for name in self.missing_for(provider, sending=True)[:1]:
                raise SettingsError(name, f"must be set when PROVIDER_ROUTES sends {prefix} by {provider}")
        if self.price_provider == "agmarknet" and not self.agmarknet_api_key:
            raise SettingsError("AGMARKNET_API_KEY", "must be set when PRICE_PROVIDER=agmarknet")
        if self.payment_provider == "razorpay":
            for name in ("RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET", "RAZORPAY_WEBHOOK_SECRET"):
                if not getattr(self, name.lower()):
                    raise SettingsError(name, "must be set when PAYMENT_PROVIDER=razorpay")

    # Derived values: computed, never stored twice.

    @property
    def embedded(self) -> bool:
        """True when nothing external is configured: SQLite, fakeredis and in-process tasks."""
        return not (self.database_url or self.redis_url or self.celery_broker_url)

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or default_url(self.var_dir)

    @property
    def tasks_in_process(self) -> bool:
        return self.celery_broker_url is None

    def secret_values(self) -> list[str]:
        """What no log line may hold: the value of every secret setting."""
        return [value for var in VARIABLES if var.secret and (value := getattr(self, var.name.lower()))]

    def described(self) -> list[tuple[str, str]]:
        """(variable, value) for every setting, secrets masked: safe to print or log."""
        shown = []
        for var in VARIABLES:
            value = getattr(self, var.name.lower())
            if value is None or value == frozenset():
                text = "(unset)"
            elif isinstance(value, frozenset):
                text = ",".join(sorted(value))
            elif isinstance(value, tuple):
                text = ",".join(f"{k}={v}" for k, v in value)
            elif var.secret:
                text = "(set, hidden)"
            else:
                text = _hide_password(str(value))
            shown.append((var.name, text))
        return shown


def _hide_password(value: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@]+@", r"\1***@", value)


assert [f.name for f in fields(Settings)] == [v.name.lower() for v in VARIABLES], "keep VARIABLES and Settings in step"
