"""The embedded default: the link opens a page on this gateway (gateway/payments.py) where "Pay" settles it.
No money moves; links that are not paid in time are expired by workers.payments.expire_stale_payments."""
from __future__ import annotations

from datetime import datetime

from farmdb.models import Farmer, Payment, Plan
from service.payment_providers.base import Link


class SandboxProvider:
    name = "sandbox"

    def __init__(self, base_url: str):
        self._base_url = base_url

    def create_link(self, payment: Payment, farmer: Farmer, plan: Plan, expires_at: datetime) -> Link:
        ref = f"sandbox_{payment.id}"
        return Link(ref=ref, url=f"{self._base_url}/payments/sandbox/{ref}")
