"""Payment providers: one module per provider, each making a payment link for a pending Payment (service.payments
asks for it): Razorpay Payment Links (UPI), and the sandbox of the embedded default.

What a provider tells us afterwards (paid, expired) arrives by its own route: Razorpay's signed webhook
(gateway/razorpay.py), the sandbox's page (gateway/payments.py). Both settle through service.payments.
"""
from __future__ import annotations

from service.payment_providers.base import (
    Link, PaymentError, PaymentProvider, PermanentPaymentError, RetryablePaymentError,
)
from service.payment_providers.razorpay import RazorpayProvider
from service.payment_providers.sandbox import SandboxProvider
from service.settings import Settings, SettingsError

__all__ = ["Link", "PaymentError", "PaymentProvider", "PermanentPaymentError", "RetryablePaymentError",
           "payment_provider_for"]


def payment_provider_for(settings: Settings) -> PaymentProvider:
    """The configured provider (the Service keeps it built once: the SDK client keeps its connections)."""
    if settings.payment_provider == "razorpay":
        return RazorpayProvider(settings.razorpay_key_id, settings.razorpay_key_secret,
                                settings.razorpay_webhook_secret)
    if settings.payment_provider == "sandbox":
        return SandboxProvider(settings.public_base_url or f"http://127.0.0.1:{settings.port}")
    raise SettingsError("PAYMENT_PROVIDER", f"no payment provider {settings.payment_provider!r}")
