"""Every variable the service reads, declared once: name, default, parser and meaning (service.settings reads them).

A parser takes the raw string and returns the typed value, or raises ValueError with a short reason that the
operator sees after the variable's name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from locales.languages import CODES, LANGUAGES
from service.routing import PROVIDERS as SMS_PROVIDERS, parse_routes
from service.simulated_phones import number_range
from service.value_types import _networks, _phone_number, _phone_numbers, _price, _send_windows

PAYMENT_PROVIDERS = ("sandbox", "razorpay")
PRICE_PROVIDERS = ("demo", "agmarknet")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("json", "text")
DEFAULT_VOICES = ",".join(f"{language.code}={language.twilio_voice}" for language in LANGUAGES)


# Parsers take the raw string and return the typed value or raise ValueError with a short reason.

def _database_url(raw: str) -> str:
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ValueError(f"not a database URL: {raw!r} (expected postgresql://user@host/db or sqlite:///path)")
    if url.get_backend_name() not in ("postgresql", "sqlite"):
        raise ValueError(f"unsupported database {url.get_backend_name()!r} (use postgresql or sqlite)")
    return raw


def _redis_url(raw: str) -> str:
    if urlsplit(raw).scheme not in ("redis", "rediss", "unix"):
        raise ValueError(f"not a Redis URL: {raw!r} (expected redis://host:6379/0)")
    return raw


def _broker_url(raw: str) -> str:
    if urlsplit(raw).scheme not in ("redis", "rediss", "amqp", "amqps", "pyamqp", "memory"):
        raise ValueError(f"not a broker URL: {raw!r} (expected redis://host:6379/1 or amqp://user:pass@host//)")
    return raw


def _http_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {raw!r}")
    return raw.rstrip("/")


def _choice(options: tuple[str, ...], fold: Callable[[str], str] = str.lower) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = fold(raw.strip())
        if value not in options:
            raise ValueError(f"{raw!r} is not one of {', '.join(options)}")
        return value
    return parse


def _between(low, high, kind: type = int) -> Callable[[str], int | float]:
    """A whole number (or, with kind=float, any number) within low..high."""
    def parse(raw: str):
        try:
            value = kind(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not a {'whole number' if kind is int else 'number'}")
        if not low <= value <= high:
            raise ValueError(f"{value} is outside {low}..{high}")
        return value
    return parse


def _region(raw: str) -> str:
    value = raw.strip().upper()
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{raw!r} is not a phone region code such as IN or KE")
    return value


def _sender_id(raw: str) -> str:
    # AT alphanumeric sender ids and DLT headers are at most 11 characters; short codes are digits.
    if not re.fullmatch(r"[A-Za-z0-9 ]{1,11}|\+?\d{3,15}", raw):
        raise ValueError(f"{raw!r} is not a sender id (1-11 letters/digits) or a phone number")
    return raw


def _plivo_auth_id(raw: str) -> str:
    if not re.fullmatch(r"(MA|SA)[A-Z0-9]{18}", raw.strip()):
        raise ValueError(f"{raw!r} is not a Plivo auth id (MA or SA and 18 more letters or digits)")
    return raw.strip()


def _text(raw: str) -> str:
    return raw


GRIEVANCE_PLACEHOLDER = "1800-XXX-XXXX"
GRIEVANCE_MAX_CHARS = 20  # the consent notice (four SMS in Devanagari, DLT templates) has room for no more


def _grievance_contact(raw: str) -> str:
    value = raw.strip()
    if not value:
        raise ValueError("is empty: give the helpline number farmers complain to")
    if len(value) > GRIEVANCE_MAX_CHARS:
        raise ValueError(f"{raw!r} is {len(value)} characters: at most {GRIEVANCE_MAX_CHARS} fit in the consent "
                         "notice (a phone number or short contact; put an e-mail address on the website)")
    return value


def _secret_key(raw: str) -> str:
    if len(raw) < 32:
        raise ValueError("is too short: use 32 or more random characters (python -c 'import secrets; "
                         "print(secrets.token_urlsafe(32))')")
    return raw


def _timezone(raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{raw!r} is not a time zone such as Asia/Kolkata or Africa/Nairobi")
    return raw


def _voices(raw: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for part in filter(None, (p.strip() for p in raw.split(","))):
        locale, _, voice = part.partition("=")
        if locale not in CODES or not re.fullmatch(r"[A-Za-z0-9.\-_]+", voice):
            raise ValueError(f"{part!r} is not locale=voice ({', '.join(CODES)}; e.g. hi=Polly.Aditi)")
        pairs.append((locale, voice))
    return tuple(pairs)




def _names(raw: str) -> frozenset[str]:
    names = frozenset(" ".join(part.split()) for part in raw.split(",") if part.strip())
    if any(len(name) > 64 for name in names):
        raise ValueError("write names as Maharashtra,Madhya Pradesh (comma-separated)")
    return names






@dataclass(frozen=True)
class Variable:
    name: str
    default: str | None
    parse: Callable[[str], object]
    meaning: str
    secret: bool = False


VARIABLES: tuple[Variable, ...] = (
    Variable("DATABASE_URL", None, _database_url,
             "Farmer database. Unset: SQLite file var/kheti.sqlite3. Production: postgresql://user:pass@host/db"),
    Variable("REDIS_URL", None, _redis_url,
             "Sessions, caches and rate limits. Unset: an in-process stand-in (fakeredis), one process only"),
    Variable("CELERY_BROKER_URL", None, _broker_url,
             "Task broker for the workers (redis:// or amqp://). Unset: tasks run in-process, no worker needed"),
    Variable("SMS_PROVIDER", "console", _choice(SMS_PROVIDERS),
             "Who sends SMS: console (log + outbox only), africastalking, twilio or plivo"),
    Variable("PROVIDER_ROUTES", "", parse_routes,
             "Provider per country prefix, longest first (+91=plivo,+254=africastalking); other numbers: SMS_PROVIDER"),
    Variable("AT_USERNAME", None, _text, "Africa's Talking app username (`sandbox` for the sandbox)"),
    Variable("AT_API_KEY", None, _text, "Africa's Talking API key", secret=True),
    Variable("AT_SENDER_ID", None, _sender_id, "Africa's Talking sender id or short code (the DLT header in India)"),
    Variable("AT_WEBHOOK_TOKEN", None, _text,
             "Secret every /africastalking/* callback URL must carry as ?token=. Unset only for local development",
             secret=True),
    Variable("TWILIO_ACCOUNT_SID", None, _text, "Twilio account SID (AC...)"),
    Variable("TWILIO_AUTH_TOKEN", None, _text, "Twilio auth token; also verifies X-Twilio-Signature", secret=True),
    Variable("TWILIO_FROM", None, _text, "Twilio sender: a phone number (+1...) or a messaging service SID (MG...)"),
    Variable("PLIVO_AUTH_ID", None, _plivo_auth_id, "Plivo auth id (MA... or SA...)"),
    Variable("PLIVO_AUTH_TOKEN", None, _text, "Plivo auth token; also verifies X-Plivo-Signature-V3", secret=True),
    Variable("PLIVO_FROM", None, _sender_id, "Plivo sender: the DLT header in India (KHETIS) or a number (+91...)"),
    Variable("PLIVO_VOICE_NUMBER", None, _phone_number,
             "Plivo voice number (+91...) that connects the expert desk's calls"),
    Variable("DLT_ENTITY_ID", None, _text,
             "India DLT principal entity id, sent with each Plivo message when its template row names none"),
    Variable("SMS_RATE_PER_SECOND", "50", _between(1, 100_000),
             "Messages per second each SMS provider takes from our account and sender id, shared by every worker"),
    Variable("SMS_SEGMENT_PRICE", "0.20 INR", _price,
             "Estimated price of one SMS segment, for the cost shown before a broadcast and stored per message"),
    Variable("SEND_WINDOWS", "promotional=10:00-21:00,service_explicit=10:00-21:00", _send_windows,
             "Local hours per SMS category (TRAI: 10:00-21:00 IST); outside them a message waits for the next window. "
             "`none`: no windows"),
    Variable("OUTBOX_SWEEP_AFTER", "300", _between(30, 86_400),
             "Seconds after which the sweeper re-queues an SMS still waiting to be sent (a lost task, a broker "
             "restart)"),
    Variable("ADMIN_API_KEY", None, _text,
             "Bearer key for the admin API (/api/broadcasts). Unset: the admin API refuses every request", secret=True),
    Variable("PAYMENT_PROVIDER", "sandbox", _choice(PAYMENT_PROVIDERS),
             "sandbox (a local page marks payments paid; no money moves) or razorpay (Payment Links, UPI)"),
    Variable("RAZORPAY_KEY_ID", None, _text, "Razorpay API key id (rzp_live_... or rzp_test_...)"),
    Variable("RAZORPAY_KEY_SECRET", None, _text, "Razorpay API key secret", secret=True),
    Variable("RAZORPAY_WEBHOOK_SECRET", None, _text,
             "Secret set on the Razorpay webhook; verifies X-Razorpay-Signature", secret=True),
    Variable("PAYMENT_LINK_TTL_HOURS", "48", _between(1, 24 * 180), "Hours a payment link can be paid"),
    Variable("GRIEVANCE_CONTACT", GRIEVANCE_PLACEHOLDER, _grievance_contact,
             "Where farmers complain about how their data is used (DPDP Act grievance contact), said in every consent "
             f"notice: your helpline number, at most {GRIEVANCE_MAX_CHARS} characters. The default is a placeholder: "
             "set it before going live"),
    Variable("ALERT_HOUR", "7", _between(0, 23), "Local hour (TIMEZONE) of the daily weather alert"),
    Variable("ALERT_HEAVY_RAIN_MM", "64.5", _between(1, 1000, float),
             "Rain in a day (mm) that triggers a heavy-rain alert (IMD: heavy rain is 64.5 mm or more)"),
    Variable("ALERT_HEAT_C", "45", _between(30, 55, float),
             "Day maximum (deg C) that triggers a heat-wave alert (IMD: 45 or more is a heat wave anywhere)"),
    Variable("TWILIO_VOICES", DEFAULT_VOICES, _voices,
             "Twilio text-to-speech voice per language for calls (locale=voice, comma-separated)"),
    Variable("AT_VOICE_NUMBER", None, _text, "Africa's Talking voice number (+254...) that calls farmers back"),
    Variable("MISSED_CALL_NUMBERS", "", _phone_numbers,
             "Our numbers that are missed-call lines: a call to one is rejected unanswered and the farmer called back"),
    Variable("CALLBACK_PERIOD", "3600", _between(60, 7 * 86_400),
             "Seconds within which a number is called back at most once, however often it rings the missed-call line"),
    Variable("SIMULATOR_NUMBERS", None, number_range,
             "Numbers (first-last) set aside for the console's phone, that no farmer has (ask your operator for a test "
             "range): nothing for them is sent or called, only shown. Unset: no phone in the console"),
    Variable("PUBLIC_BASE_URL", None, _http_url,
             "The URL providers call us at (https://sms.example.org): behind a proxy Twilio's and Plivo's signatures "
             "are checked against it; call-backs and Plivo's delivery reports need it"),
    Variable("DEFAULT_LOCALE", "hi", _choice(CODES),
             f"Language for farmers we do not know yet: {', '.join(CODES)}"),
    Variable("DEFAULT_REGION", "IN", _region, "Country assumed for phone numbers written without +country code"),
    Variable("USSD_MAX_CHARS", "182", _between(40, 182),
             "Characters on one USSD screen in GSM-7 (182 for one 160-octet string; some gateways cut at 160)"),
    Variable("USSD_UCS2_MAX_CHARS", "80", _between(20, 80),
             "Characters on one USSD screen when it needs UCS-2 (any Devanagari letter)"),
    Variable("USSD_UCS2_NETWORKS", "", _networks,
             "AT networkCodes whose USSD shows Devanagari (UCS-2); others get Hindi and Marathi in Latin letters"),
    Variable("USSD_SESSION_TTL", "180", _between(30, 3600), "Seconds a USSD session lives in Redis after a hop"),
    Variable("USSD_RESUME_WINDOW", "600", _between(0, 3600),
             "Seconds within which a dropped USSD session can be continued from a new dial (0: never)"),
    Variable("WEATHER_PROVIDER", "demo", _choice(("demo", "open-meteo")),
             "demo (the seeded forecast) or open-meteo (live forecast API, no key; cached in Redis for an hour)"),
    Variable("PRICE_PROVIDER", "demo", _choice(PRICE_PROVIDERS),
             "demo (the seeded made-up week) or agmarknet (today's mandi prices fetched from data.gov.in each day at "
             "PRICE_FETCH_HOUR; needs AGMARKNET_API_KEY)"),
    Variable("AGMARKNET_API_KEY", None, _text,
             "data.gov.in API key for Agmarknet's daily mandi prices (`kheti prices fetch`, the daily job)",
             secret=True),
    Variable("AGMARKNET_STATES", "", _names,
             "States whose prices are fetched, as Agmarknet spells them (Maharashtra,Madhya Pradesh); empty: all"),
    Variable("PRICE_FETCH_HOUR", "14", _between(0, 23),
             "Local hour (TIMEZONE) of the daily price fetch; Agmarknet publishes the day's prices from late morning"),
    Variable("PRICE_STALE_DAYS", "3", _between(0, 13),
             "Days after which a price the farmer sees or hears is said to be old (its date is always said)"),
    Variable("RASA_URL", None, _http_url,
             "A Rasa server whose /model/parse reads SMS instead of the built-in model (which stays the fallback)"),
    Variable("TIMEZONE", "Asia/Kolkata", _timezone, "Farmers' time zone: what 'today' means for prices and weather"),
    Variable("SMS_REPLIES_PER_HOUR", "20", _between(1, 10_000),
             "Replies one phone may get in an hour (10 at once at most); past it their SMS are kept, not answered"),
    Variable("USSD_SESSIONS_PER_MINUTE", "6", _between(1, 1000),
             "New USSD sessions one phone may start in a minute; past it they are told to try again later"),
    Variable("REFUSED_REQUESTS_PER_MINUTE", "60", _between(5, 100_000),
             "Refused requests (bad token, signature, path or method) one address may make in a minute before its "
             "requests without a provider's credential get 429"),
    Variable("DB_STATEMENT_TIMEOUT_MS", "120000", _between(0, 3_600_000),
             "Longest a PostgreSQL statement may run before it is cancelled (0: no limit)"),
    Variable("DB_LOCK_TIMEOUT_MS", "5000", _between(0, 3_600_000),
             "Longest a PostgreSQL statement waits for a lock (0: no limit): webhooks answer 503 instead of hanging"),
    Variable("HOP_DB_TIMEOUT_MS", "1500", _between(100, 10_000),
             "Longest a USSD hop or call turn waits on the database before the caller hears 'busy, try again'"),
    Variable("MAX_REQUEST_BYTES", "65536", _between(1024, 10 * 1024 * 1024),
             "Largest request body the gateway accepts; larger ones get 413"),
    Variable("PORT", "5000", _between(1, 65535), "Port `kheti serve` listens on"),
    Variable("LOG_LEVEL", "INFO", _choice(LOG_LEVELS, str.upper), "DEBUG, INFO, WARNING, ERROR or CRITICAL"),
    Variable("LOG_FORMAT", "json", _choice(LOG_FORMATS),
             "json (one object per line, for a log collector) or text (for a person at a terminal)"),
    Variable("VAR_DIR", "var", _text, "Folder for the embedded SQLite database and other local state"),
    Variable("SECRET_KEY", None, _secret_key,
             "Signs the console's session cookies and form tokens (32+ characters). Unset: a key kept in VAR_DIR on "
             "the embedded default; required otherwise", secret=True),
    Variable("CONSOLE_IDLE_MINUTES", "30", _between(5, 24 * 60),
             "Minutes without a request after which a console session ends"),
    Variable("API_RATE_PER_MINUTE", "120", _between(10, 100_000),
             "Requests a minute one API key may make to /api/v1 (then 429 with Retry-After)"),
    Variable("TRUSTED_PROXIES", "0", _between(0, 5),
             "Proxies in front of the gateway whose X-Forwarded-For is believed (the console's audit log records "
             "where each action came from)"),
)
