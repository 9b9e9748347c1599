"""India's DLT (TRAI TCCCPR): every SMS to an Indian number must match a content template registered by our entity,
with `{#var#}` where the text varies, or the operator drops it. We check before sending, so a message that would be
dropped is refused with a reason instead, and the template id travels with the message.

Templates are rows (farmdb DltTemplate); locales.dlt writes our own catalogue's SMS texts as template text.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from farmdb.models import DltTemplate
from locales.dlt import VAR

_VARS = re.compile(r"(?:\{#var#\})+")
_SPACE = re.compile(r"\s+")


INDIA = "+91"


def needs_template(phone: str) -> bool:
    return phone.startswith(INDIA)


@dataclass(frozen=True)
class Template:
    template_id: str
    entity_id: str
    header: str
    category: str
    pattern: re.Pattern


def compile_text(text: str, var_max_chars: int = 30) -> re.Pattern:
    """A registered text as a regex. A run of n placeholders takes up to n x var_max_chars characters (operators
    count per placeholder); any run of spaces matches any run of spaces, as operators compare them."""
    parts, at = [], 0
    for run in _VARS.finditer(text):
        parts.append(_literal(text[at:run.start()]))
        width = (run.end() - run.start()) // len(VAR) * var_max_chars
        parts.append(f"(.{{0,{width}}}?)")
        at = run.end()
    parts.append(_literal(text[at:]))
    return re.compile("".join(parts), re.DOTALL)


def _literal(text: str) -> str:
    return r"\s+".join(re.escape(word) for word in _SPACE.split(text))


class TemplateBook:
    """The active templates, compiled once and reloaded when the table changes (checked with one cheap query).
    One per Service: every process that queues messages keeps its own."""

    def __init__(self):
        self._lock = threading.Lock()
        self._version: tuple | None = None
        self._templates: tuple[Template, ...] = ()

    def templates(self, db: Session) -> tuple[Template, ...]:
        version = tuple(db.execute(select(func.count(DltTemplate.id), func.max(DltTemplate.updated_at))
                                   .where(DltTemplate.active)).one())
        if version != self._version:
            rows = db.scalars(select(DltTemplate).where(DltTemplate.active).order_by(DltTemplate.id)).all()
            compiled = tuple(Template(r.template_id, r.entity_id, r.header, r.category,
                                      compile_text(r.text, r.var_max_chars)) for r in rows)
            with self._lock:
                self._templates, self._version = compiled, version
        return self._templates

    def match(self, db: Session, body: str, category: str, header: str | None = None) -> Template | None:
        """The first template of this category (and header, when the sender has one) that the body fits."""
        for template in self.templates(db):
            if template.category != category or (header and template.header != header):
                continue
            if template.pattern.fullmatch(body):
                return template
        return None


def refusal(category: str, header: str | None) -> str:
    to = f" for header {header}" if header else ""
    return (f"DLT: no registered {category} template{to} matches this text; register it "
            f"(`kheti dlt templates` prints ours) or it will be dropped by the operator")
