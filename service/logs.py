"""One logging set-up for every process (gateway, gunicorn, Celery worker and beat, the CLI): one line per record,
JSON for machines (`LOG_FORMAT=json`, the default) or plain text for a person at a terminal (`LOG_FORMAT=text`), with
the request id, and nothing in any line that must not be kept: phone numbers are masked and secrets are redacted in
the message, in every field and in tracebacks, whoever logged them (our code, Celery, gunicorn, a library)."""
from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Iterable

from farmdb.phones import mask_phones_in

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

FORMATS = ("json", "text")
REDACTED = "[redacted]"

# LogRecord's own attributes; anything else on a record came from `extra=` and is logged as a field.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}

# Credentials that travel in URLs: Africa's Talking's webhook token in the query string (gunicorn prints the request
# line when a worker times out), data.gov.in's api-key, and user:password@ in a database or broker URL.
_SECRET_PARAM = re.compile(
    r"(?i)((?:^|[?&\s])(?:token|key|api_key|api-key|apikey|secret|signature|password|sig)=)[^&\s\"']+")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s/]+@")

_known_secrets: tuple[str, ...] = ()

# Loggers that servers give handlers of their own (gunicorn's error log, Celery's worker and task logs).
_OWN_HANDLERS = ("gunicorn", "celery")


def redact(text: str) -> str:
    """`text` as it may be logged: phone numbers masked, secrets replaced."""
    for secret in _known_secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _SECRET_PARAM.sub(lambda m: m.group(1) + REDACTED, text)
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + REDACTED + "@", text)
    return mask_phones_in(text)


def _clean(value):
    """A field's value with the same care, however deep (Celery logs task arguments as tuples and dicts)."""
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, (bool, float)):
        return value
    if isinstance(value, int):
        return value if abs(value) < 10**8 else redact(str(value))  # a phone number sent as a number
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_clean(v) for v in value]
    return redact(str(value))


def _fields(record: logging.LogRecord) -> dict:
    return {key: _clean(value) for key, value in vars(record).items()
            if key not in _STANDARD and not key.startswith("_")}


def _message(record: logging.LogRecord) -> str:
    try:
        return redact(record.getMessage())
    except Exception:  # a bad %-format in someone's log call must not lose the record
        return redact(f"{record.msg!s} {record.args!r}")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": _message(record),
        }
        entry.update(_fields(record))
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`15:40:01 INFO  gateway.inbox: SMS from +91******3210 [request_id=ab12 outbound_id=7]`"""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        line = f"{stamp} {record.levelname:<5} {record.name}: {_message(record)}"
        fields = _fields(record)
        if fields:
            line += " [" + " ".join(f"{k}={v}" for k, v in fields.items()) + "]"
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        return line


def _stamp_request_id(factory):
    """Records take the request id when they are made, not when (perhaps later, elsewhere) they are formatted."""
    def make(*args, **kwargs):
        record = factory(*args, **kwargs)
        rid = request_id.get()
        if rid is not None:
            record.request_id = rid
        return record
    make._kheti = True
    return make


def configure_logging(level: str, fmt: str = "json", secrets: Iterable[str | None] = ()) -> None:
    """Idempotent: the app factory, gunicorn, Celery and the CLI may each call it. Every logger propagates to the
    root's one handler (gunicorn's and Celery's own handlers are removed), so every line is formatted here."""
    global _known_secrets
    _known_secrets = tuple(sorted({s for s in (*_known_secrets, *secrets) if s and len(s) >= 6}, key=len,
                                  reverse=True))
    logging.captureWarnings(True)  # a library's warning is a log line too, not a stray line on stderr
    if not getattr(logging.getLogRecordFactory(), "_kheti", False):
        logging.setLogRecordFactory(_stamp_request_id(logging.getLogRecordFactory()))
    root = logging.getLogger()
    root.setLevel(level)
    ours = [h for h in root.handlers if getattr(h, "_kheti", False)]
    for handler in root.handlers[:]:
        if handler not in ours and not _kept(handler):
            root.removeHandler(handler)
    if not ours:
        handler = logging.StreamHandler(sys.stderr)
        handler._kheti = True
        root.addHandler(handler)
        ours = [handler]
    for handler in ours:
        handler.setFormatter(TextFormatter() if fmt == "text" else JsonFormatter())
    for name in _OWN_HANDLERS + tuple(n for n in logging.root.manager.loggerDict if n.startswith(_OWN_HANDLERS)):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    for noisy in ("werkzeug", "urllib3", "twilio.http_client", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def _kept(handler: logging.Handler) -> bool:
    """pytest's capture handlers stay: the tests read records through them."""
    return type(handler).__module__.startswith("_pytest")


def configure_for(settings) -> None:
    """configure_logging from the service's Settings: its level, its format, its secrets."""
    configure_logging(settings.log_level, settings.log_format, settings.secret_values())
