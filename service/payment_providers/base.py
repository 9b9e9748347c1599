"""What every payment provider gives and takes: a link for a pending Payment, or an error that says whether asking
again may help, so the link task decides what to do without knowing any provider."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from farmdb.models import Farmer, Payment, Plan


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
