"""Payment providers: one module per provider, each making a payment link for a pending Payment and raising
RetryablePaymentError or PermanentPaymentError, so the link task decides what to do without knowing any provider.

What a provider tells us afterwards (paid, expired) arrives by its own route: Razorpay's signed webhook
(gateway/razorpay.py), the sandbox's page (gateway/payments.py). Both settle through workers.payments.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from farmdb.models import Farmer, Payment, Plan
from gateway.settings import Settings, SettingsError
from workers.built_once import BuiltOnce


@dataclass(frozen=True)
class Link:
    ref: str  # the provider's id for the link: Payment.provider_ref, what its webhooks name
    url: str  # what the farmer opens; it goes in the SMS


class PaymentError(Exception):
    """The provider made no link; `reason` is short, for Payment.failure_reason and the logs."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason[:120]


class RetryablePaymentError(PaymentError):
    """A later attempt may succeed: timeouts, connection errors, the provider's 5xx and 429."""


class PermanentPaymentError(PaymentError):
    """Asking again will fail again: bad credentials, a request the provider refuses (other 4xx)."""


class PaymentProvider(Protocol):
    name: str  # Payment.provider

    def create_link(self, payment: Payment, farmer: Farmer, plan: Plan, expires_at: datetime) -> Link: ...


_providers = BuiltOnce()


def provider_for(settings: Settings) -> PaymentProvider:
    """The configured provider, built once per process and configuration (the SDK client keeps its connections)."""
    return _providers.get_or_build(_key(settings), lambda: _build(settings))


def _key(settings: Settings) -> tuple:
    if settings.payment_provider == "razorpay":
        return ("razorpay", settings.razorpay_key_id, settings.razorpay_key_secret, settings.razorpay_webhook_secret)
    return (settings.payment_provider, settings.public_base_url, settings.port)


def _build(settings: Settings) -> PaymentProvider:
    if settings.payment_provider == "razorpay":
        from workers.payment_providers.razorpay import RazorpayProvider
        return RazorpayProvider(settings.razorpay_key_id, settings.razorpay_key_secret,
                                settings.razorpay_webhook_secret)
    if settings.payment_provider == "sandbox":
        from workers.payment_providers.sandbox import SandboxProvider
        return SandboxProvider(settings.public_base_url or f"http://127.0.0.1:{settings.port}")
    raise SettingsError("PAYMENT_PROVIDER", f"no payment provider {settings.payment_provider!r}")
