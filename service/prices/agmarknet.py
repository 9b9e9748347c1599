"""The data.gov.in API for Agmarknet's daily mandi prices: every page of an answer, each request bounded in time,
the ones a retry can fix (a timeout, a dropped connection, 429, 5xx, an answer that is not JSON) tried again with
growing pauses, and the ones it cannot fix (a refused key, a bad request) said at once in one line.

The key travels in the query string (the API's only way); no message here repeats the URL, and the logs redact the
key as a secret setting.
"""
from __future__ import annotations

import logging
import time
from datetime import date
from typing import Callable

import requests

log = logging.getLogger(__name__)

RESOURCE = "9ef84268-d588-465a-a308-a864a43d0070"  # "Current daily price of various commodities from various markets"
ENDPOINT = f"https://api.data.gov.in/resource/{RESOURCE}"
TIMEOUT_S = (5, 60)  # to connect, to read one page
PAGE_SIZE = 1000
ATTEMPTS = 5  # per page: pauses of about 2, 4, 8 and 16 s between them
BACKOFF_S = 2.0
MAX_PAUSE_S = 60.0
MAX_PAGES = 1000  # a safety stop: all of India is a few tens of pages a day


class AgmarknetError(Exception):
    """The API could not be read; str() is the line to show the operator."""

    retryable = False


class KeyRefused(AgmarknetError):
    """The API refused AGMARKNET_API_KEY: nothing will work until the key is fixed."""


class QuotaExceeded(AgmarknetError):
    """The key's allowance is used up for now: later (the next run) may work."""

    retryable = True


class Unavailable(AgmarknetError):
    """Timeouts, dropped connections or server errors on every attempt."""

    retryable = True


class _Retry(Exception):
    def __init__(self, why: str, pause: float | None = None, quota: bool = False):
        super().__init__(why)
        self.pause, self.quota = pause, quota


class Agmarknet:
    def __init__(self, api_key: str, *, http: requests.Session | None = None, endpoint: str = ENDPOINT,
                 page_size: int = PAGE_SIZE, sleep: Callable[[float], None] = time.sleep):
        if not api_key:
            raise KeyRefused("no API key: set AGMARKNET_API_KEY (a key from data.gov.in, under My Account)")
        self._key, self._http, self._endpoint = api_key, http or requests.Session(), endpoint
        self._page_size, self._sleep = page_size, sleep

    def records(self, *, state: str | None = None, day: date | None = None) -> list[dict]:
        """Every record matching the filters, page after page until `total` is reached."""
        params = {"api-key": self._key, "format": "json", "limit": str(self._page_size)}
        if state:
            params["filters[state]"] = state
        if day:
            params["filters[arrival_date]"] = day.strftime("%d/%m/%Y")
        records: list[dict] = []
        offset = 0
        for _ in range(MAX_PAGES):
            answer = self._page({**params, "offset": str(offset)})
            page = answer.get("records") or []
            records.extend(page)
            offset += len(page)
            if not page or offset >= _number(answer.get("total")):
                return records
        raise Unavailable(f"data.gov.in kept sending pages: stopped after {MAX_PAGES} ({offset} records)")

    def _page(self, params: dict) -> dict:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self._ask(params)
            except _Retry as retry:
                if attempt == ATTEMPTS:
                    if retry.quota:
                        raise QuotaExceeded(f"data.gov.in: the key's quota is used up ({retry}); try again later, "
                                            "or ask data.gov.in for a higher limit") from None
                    raise Unavailable(f"data.gov.in did not answer after {ATTEMPTS} tries: {retry}") from None
                pause = min(MAX_PAUSE_S, retry.pause if retry.pause is not None else BACKOFF_S * 2 ** (attempt - 1))
                log.warning("Agmarknet page %s failed (%s); trying again in %.0f s", params["offset"], retry, pause)
                self._sleep(pause)
        raise AssertionError("unreachable")

    def _ask(self, params: dict) -> dict:
        try:
            response = self._http.get(self._endpoint, params=params, timeout=TIMEOUT_S)
        except requests.Timeout:
            raise _Retry("timed out") from None
        except requests.ConnectionError:
            raise _Retry("could not connect") from None  # its text holds the URL, and so the key
        status, message = response.status_code, _message(response)
        if status in (401, 403) or _says_key(message):
            raise KeyRefused(f"data.gov.in refused AGMARKNET_API_KEY (HTTP {status}: {message or 'no reason'}): "
                             "check the key on data.gov.in (My Account)")
        if status == 429 or _says_quota(message):
            raise _Retry(f"HTTP {status}: {message or 'too many requests'}", _retry_after(response), quota=True)
        if status >= 500:
            raise _Retry(f"HTTP {status}")
        if status >= 400:
            raise AgmarknetError(f"data.gov.in answered HTTP {status}: {message or response.reason}")
        try:
            answer = response.json()
        except ValueError:
            raise _Retry("the answer was not JSON") from None
        if not isinstance(answer, dict) or str(answer.get("status", "ok")).lower() == "error":
            raise AgmarknetError(f"data.gov.in answered with an error: {message or 'no reason given'}")
        return answer


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        return " ".join(str(body.get("message") or body.get("error") or "").split())[:200]
    return ""


def _says_key(message: str) -> bool:
    text = message.lower()
    return "key" in text and any(word in text for word in ("invalid", "not valid", "unauthori", "missing", "denied"))


def _says_quota(message: str) -> bool:
    text = message.lower()
    return any(word in text for word in ("rate limit", "quota", "too many"))


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def _number(value) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0
