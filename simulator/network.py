"""How a simulated provider reaches the gateway (through the URL it was given, as a proxy in front of the gateway
would deliver it), and what it says about numbers and money."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Callable
from urllib.parse import urlsplit

import phonenumbers
import requests

# (absolute URL, form fields, headers) -> (HTTP status, body)
Post = Callable[[str, dict[str, str], dict[str, str]], tuple[int, str]]
AT_RATE_PER_MINUTE = {"KES": Decimal("3.50"), "INR": Decimal("2.40"), "USD": Decimal("0.03")}  # made up
PLIVO_RATE_PER_MINUTE = Decimal("0.00600")  # USD, billed by the whole minute; made up


def masked(url: str) -> str:
    """The URL as shown: AT's secret token is not printed."""
    return re.sub(r"([?&]token=)[^&]*", r"\1***", url)


def country(number: str) -> str:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number)) or ""
    except phonenumbers.NumberParseException:
        return ""


def currency(number: str) -> str:
    return {"KE": "KES", "IN": "INR"}.get(country(number), "USD")


def http_post(gateway_url: str, public_url: str | None = None, timeout: float = 10) -> Post:
    """Deliver to the gateway at `gateway_url` what the provider sends to `public_url` (the same path and query):
    a proxy in front of the gateway, as in production."""
    gateway = gateway_url.rstrip("/")
    public = (public_url or gateway_url).rstrip("/")

    def post(url: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        if url.startswith(public):
            target = gateway + url[len(public):]
        else:
            parts = urlsplit(url)
            target = gateway + parts.path + (f"?{parts.query}" if parts.query else "")
        response = requests.post(target, data=form, headers=headers, timeout=timeout, allow_redirects=False)
        return response.status_code, response.text
    return post
