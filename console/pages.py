"""One page of a query's rows, with what the pager needs."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

PER_PAGE = 25


@dataclass(frozen=True)
class Page:
    items: list
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_number(raw) -> int:
    try:
        return max(1, min(int(raw), 100_000))
    except (TypeError, ValueError):
        return 1


def page_of(db: Session, query: Select, raw_number, per_page: int = PER_PAGE) -> Page:
    number = page_number(raw_number)
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = db.scalars(query.limit(per_page).offset((number - 1) * per_page)).unique().all()
    return Page(items, number, per_page, total)
