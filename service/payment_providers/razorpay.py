"""Razorpay Payment Links (UPI) through its SDK (razorpay 2.x): `client.payment_link.create(...)` to make a link,
`client.utility.verify_webhook_signature(...)` to trust a webhook, and the webhook payloads read into LinkEvents.

The SDK calls requests with no timeout and keeps no HTTP status in its exceptions, so its session is ours: every call
is bounded, and 429/5xx answers become retryable before the SDK reads them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import razorpay
import requests
from razorpay.errors import BadRequestError, GatewayError, ServerError, SignatureVerificationError

from farmdb.models import Farmer, Payment, Plan
from service.payment_providers.base import Link, PermanentPaymentError, RetryablePaymentError

NAME = "razorpay"

# Seconds to connect and to read. A read timeout may come after Razorpay made the link: the retry asks for the
# same reference_id, which Razorpay refuses as a duplicate, and then the link it already made is looked up.
TIMEOUT_S = (5, 10)

# Razorpay's event name -> what it means for our Payment.
OUTCOMES = {
    "payment_link.paid": "paid",
    "payment_link.expired": "expired",
    "payment_link.cancelled": "expired",  # cancelled by us or on the dashboard: no longer payable, like an expiry
    "payment_link.partially_paid": "partially_paid",
    "payment.failed": "failed",
}


class _Session(requests.Session):
    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT_S)
        response = super().request(method, url, **kwargs)
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryablePaymentError(f"Razorpay HTTP {response.status_code}: {_description(response)}")
        return response


def _description(response: requests.Response) -> str:
    try:
        return str(response.json()["error"]["description"])[:80]
    except (ValueError, KeyError, TypeError):
        return " ".join(response.text.split())[:80]


@dataclass(frozen=True)
class LinkEvent:
    """One verified webhook, in our words."""

    event: str  # Razorpay's name, kept in PaymentEvent.event
    outcome: str  # paid | expired | partially_paid | failed | ignored
    link_ref: str | None  # plink_...: Payment.provider_ref
    amount_minor: int | None = None  # what was paid (paid)
    currency: str | None = None
    provider_payment_id: str | None = None  # pay_...
    reason: str | None = None  # why, when something went wrong


class WebhookRejected(Exception):
    """Not a webhook from Razorpay we can read: the gateway answers 400 with the reason."""


class RazorpayProvider:
    name = NAME

    def __init__(self, key_id: str, key_secret: str, webhook_secret: str):
        self._client = razorpay.Client(session=_Session(), auth=(key_id, key_secret))
        self._webhook_secret = webhook_secret

    def create_link(self, payment: Payment, farmer: Farmer, plan: Plan, expires_at: datetime) -> Link:
        reference = reference_id(payment)
        request = {
            "upi_link": True,
            "amount": payment.amount_minor,
            "currency": payment.currency,
            "accept_partial": False,
            "expire_by": int(expires_at.timestamp()),
            "reference_id": reference,
            "description": f"Kheti Sahayak: {plan.name_in('en')} ({plan.duration_days} days)",
            "customer": {"contact": farmer.phone, **({"name": farmer.name} if farmer.name else {})},
            # We send the link ourselves, in the farmer's language, through the outbox.
            "notify": {"sms": False, "email": False},
            "reminder_enable": False,
            "notes": {"payment_id": str(payment.id), "plan": plan.code},
        }
        try:
            created = self._call(self._client.payment_link.create, request)
        except PermanentPaymentError:
            # Refused: maybe because an earlier try (timed out, or a twin task) already made this reference's link.
            created = self._made_earlier(reference, payment.amount_minor)
            if created is None:
                raise
        return Link(ref=created["id"], url=created["short_url"])

    def _made_earlier(self, reference: str, amount_minor: int) -> dict | None:
        found = self._call(self._client.payment_link.all, {"reference_id": reference}).get("payment_links") or []
        return next((link for link in found if link.get("reference_id") == reference
                     and link.get("amount") == amount_minor and link.get("status") == "created"), None)

    @staticmethod
    def _call(method, data: dict) -> dict:
        try:
            return method(data)
        except (BadRequestError, GatewayError, ServerError) as exc:  # 4xx: the session has raised for 429 and 5xx
            raise PermanentPaymentError(f"Razorpay refused: {exc}") from None
        except requests.Timeout as exc:  # ConnectTimeout is also a ConnectionError: keep this first
            raise RetryablePaymentError(f"Razorpay timed out: {type(exc).__name__}") from None
        except requests.ConnectionError as exc:
            raise RetryablePaymentError(f"Razorpay unreachable: {type(exc).__name__}") from None
        except requests.RequestException as exc:  # an answer that is not JSON
            raise PermanentPaymentError(f"Razorpay answered oddly: {type(exc).__name__}") from None

    def read_webhook(self, body: bytes, signature: str | None) -> LinkEvent:
        """Verify X-Razorpay-Signature (HMAC-SHA256 of the raw body with the webhook secret), then read the event.
        Raises WebhookRejected with the reason."""
        if not signature:
            raise WebhookRejected("missing X-Razorpay-Signature")
        try:
            text = body.decode("utf-8")
            self._client.utility.verify_webhook_signature(text, signature, self._webhook_secret)
        except (UnicodeDecodeError, SignatureVerificationError):
            raise WebhookRejected("bad X-Razorpay-Signature") from None
        try:
            document = json.loads(text)
            return _read_event(document)
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):  # RecursionError: nested deeply
            raise WebhookRejected("not a Razorpay event we can read") from None


def reference_id(payment: Payment) -> str:
    """Unique per link (Razorpay refuses a second link with it): a fresh link is a fresh Payment, so a fresh id."""
    return f"kheti-payment-{payment.id}"


def _read_event(document: dict) -> LinkEvent:
    """Payload shapes as Razorpay sends them: {"event": ..., "payload": {"payment_link": {"entity": {...}},
    "payment": {"entity": {...}}, "order": {...}}}; which entities are there depends on the event."""
    event, payload = document["event"], document.get("payload") or {}
    if not isinstance(event, str) or not isinstance(payload, dict):
        raise ValueError("event is not a string or payload not an object")
    outcome = OUTCOMES.get(event, "ignored")
    if outcome == "ignored":
        return LinkEvent(event=event, outcome=outcome, link_ref=None)
    payment = (payload.get("payment") or {}).get("entity") or {}
    if outcome == "failed":
        return LinkEvent(event=event, outcome=outcome, link_ref=_link_of_payment(payment),
                         provider_payment_id=payment.get("id"),
                         reason=payment.get("error_description") or payment.get("error_reason")
                         or payment.get("error_code") or "payment failed")
    link = payload["payment_link"]["entity"]
    return LinkEvent(event=event, outcome=outcome, link_ref=link["id"], amount_minor=link.get("amount_paid"),
                     currency=link.get("currency"), provider_payment_id=payment.get("id"),
                     reason={"payment_link.cancelled": "link cancelled", "payment_link.expired": "link expired",
                             "payment_link.partially_paid": "partially paid"}.get(event))


def _link_of_payment(payment: dict) -> str | None:
    """A payment made on a link carries no link id, but its description is "#" and the id without "plink_"
    (as in Razorpay's sample payloads); anything else is a payment that is not one of our links."""
    description = payment.get("description") or ""
    if description.startswith("#") and len(description) > 1 and " " not in description:
        return "plink_" + description[1:]
    return None
