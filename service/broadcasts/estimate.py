"""What a broadcast would cost before it is sent: recipients per language, segments by encoding, the estimated
price, and the DLT template each language's text matches (or the reason an operator would drop it)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Mapping

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from dialogs.encoding import measure
from farmdb.models import Farmer
from service import dlt
from service.broadcasts.audience import Target, recipients
from service.context import Service
from service.outbox import estimated_cost


@dataclass
class LanguagePreview:
    locale: str
    recipients: int
    indian_recipients: int
    body: str
    encoding: str
    segments: int  # per message
    estimated_cost: Decimal
    template_id: str | None
    dlt_entity_id: str | None
    problem: str | None = None


@dataclass
class Preview:
    languages: list[LanguagePreview] = field(default_factory=list)
    currency: str = "INR"

    @property
    def recipients(self) -> int:
        return sum(p.recipients for p in self.languages)

    @property
    def segments(self) -> int:
        return sum(p.recipients * p.segments for p in self.languages)

    @property
    def estimated_cost(self) -> Decimal:
        return sum((p.estimated_cost for p in self.languages), Decimal(0))

    @property
    def problems(self) -> list[str]:
        return [f"{p.locale}: {p.problem}" for p in self.languages if p.problem]

    def as_dict(self) -> dict:
        return {"recipients": self.recipients, "segments": self.segments,
                "estimated_cost": str(self.estimated_cost), "currency": self.currency, "problems": self.problems,
                "languages": [{**asdict(p), "estimated_cost": str(p.estimated_cost)} for p in self.languages]}


def preview(service: Service, db: Session, target: Target, bodies: Mapping[str, str], category: str) -> Preview:
    settings = service.settings
    counts = db.execute(
        select(Farmer.locale, func.count(), func.sum(case((Farmer.phone.like("+91%"), 1), else_=0)))
        .where(Farmer.id.in_(recipients(target).with_only_columns(Farmer.id).scalar_subquery()))
        .group_by(Farmer.locale)).all()
    result = Preview(currency=settings.sms_segment_price.currency)
    for locale, count, indian in sorted(counts):
        body = bodies.get(locale)
        if body is None:
            result.languages.append(LanguagePreview(locale, count, indian or 0, "", "", 0, Decimal(0), None, None,
                                                    problem="no text in this language"))
            continue
        length = measure(body)
        header = service.dlt_header()
        template = service.templates.match(db, body, category, header)
        problem = dlt.refusal(category, header) if indian and template is None else None
        result.languages.append(LanguagePreview(
            locale, count, indian or 0, body, length.encoding, length.segments,
            estimated_cost(settings, length.segments) * count, template and template.template_id,
            template and template.entity_id, problem))
    return result
