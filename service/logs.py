"""Structured logs: one JSON object per line, with the request id, and no phone number in the clear."""
from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import datetime, timezone

from farmdb.phones import mask_phones_in

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# LogRecord's own attributes; anything else on a record came from `extra=` and is logged as a field.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": mask_phones_in(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = mask_phones_in(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exc"] = mask_phones_in(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


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


def configure_logging(level: str) -> None:
    """Idempotent: the app factory and the CLI may both call it."""
    if not getattr(logging.getLogRecordFactory(), "_kheti", False):
        logging.setLogRecordFactory(_stamp_request_id(logging.getLogRecordFactory()))
    root = logging.getLogger()
    root.setLevel(level)
    if not any(getattr(h, "_kheti", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler._kheti = True
        root.addHandler(handler)
    for noisy in ("werkzeug", "urllib3", "twilio.http_client", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
