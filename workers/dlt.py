"""India's DLT (TRAI TCCCPR): every SMS to an Indian number must match a content template registered by our entity,
with `{#var#}` where the text varies, or the operator drops it. We check before sending, so a message that would be
dropped is refused with a reason instead, and the template id travels with the message.

Templates are rows (farmdb DltTemplate). `catalogue_templates()` writes the texts of our own catalogue messages as
DLT template text, ready to register; `kheti seed` registers them as demo rows so the embedded default works.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from farmdb.models import DltTemplate

VAR = "{#var#}"
_VARS = re.compile(r"(?:\{#var#\})+")
_SPACE = re.compile(r"\s+")


def needs_template(phone: str) -> bool:
    return phone.startswith("+91")


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
    """The active templates, compiled once and reloaded when the table changes (checked with one cheap query)."""

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


book = TemplateBook()


class DltRefused(Exception):
    """No registered template fits the message: an operator would drop it, so it is not sent."""


def refusal(category: str, header: str | None) -> str:
    to = f" for header {header}" if header else ""
    return (f"DLT: no registered {category} template{to} matches this text; register it "
            f"(`kheti dlt templates` prints ours) or it will be dropped by the operator")


# Catalogue messages sent by SMS, and how many {#var#} each placeholder needs (30 characters each). Names not
# listed take one.
# Fragments (sms.price.line, sms.payment.paid) are parts of other texts, not messages of their own.
SMS_MESSAGE = re.compile(r"sms\.(?!price\.line$|payment\.(?:paid|pending|failed)$).+|payment\.\w+_sms|broadcast\.\w+_sms"
                         r"|alert\.\w+_sms|advice\.stage_sms|advice\.sms|pest\.sms")
PLACEHOLDER_WIDTH = {"text": 12, "lines": 6, "choices": 5, "hint": 4, "url": 3, "advice": 12, "district": 2,
                     "plan": 2, "crop": 2, "stage": 2, "notice": 2, "name": 2, "end": 1, "date": 1}
# Weather alerts are part of the service the farmer registered for and cannot wait for 10:00: service implicit.
CATEGORY_OF = {"broadcast.": "service_explicit", "advice.stage_sms": "service_explicit"}


def category_of(message_id: str) -> str:
    for prefix, category in CATEGORY_OF.items():
        if message_id.startswith(prefix):
            return category
    return "service_implicit"


def as_dlt_text(message: str) -> str:
    """A catalogue text ("{crop}: {text}") as DLT template text ("{#var#}{#var#}: {#var#}...")."""
    return re.sub(r"\{(\w+)\}", lambda m: VAR * PLACEHOLDER_WIDTH.get(m[1], 1), message)


def catalogue_templates() -> list[tuple[str, str, str, str]]:
    """(catalogue, message id, category, DLT text) for every SMS text in every catalogue."""
    from babel.messages.pofile import read_po

    from dialogs.texts import CATALOGUES
    from locales import DOMAIN, LOCALE_DIR
    out = []
    for catalogue in CATALOGUES:
        with open(LOCALE_DIR / catalogue / "LC_MESSAGES" / f"{DOMAIN}.po", "rb") as handle:
            po = read_po(handle)
        for message in po:
            if message.id and message.string and SMS_MESSAGE.fullmatch(message.id):
                out.append((catalogue, message.id, category_of(message.id), as_dlt_text(message.string)))
    return out
