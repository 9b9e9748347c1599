"""The embedded default: the link opens a page on this gateway (gateway/payments.py) where "Pay" settles it.
No money moves; links that are not paid in time are expired by workers.payments.expire_stale_payments.

The reference is the link's only secret (the page and its button need nothing else), so it is random: a guessable
one (the payment's id) would let anyone start every pending plan."""
from __future__ import annotations

import secrets
from datetime import datetime

from farmdb.models import Farmer, Payment, Plan
from service.payment_providers.base import Link

REF_BYTES = 16  # 128 bits, 22 characters in the link


class SandboxProvider:
    name = "sandbox"

    def __init__(self, base_url: str):
        self._base_url = base_url

    def create_link(self, payment: Payment, farmer: Farmer, plan: Plan, expires_at: datetime) -> Link:
        ref = secrets.token_urlsafe(REF_BYTES)
        return Link(ref=ref, url=f"{self._base_url}/payments/sandbox/{ref}")
