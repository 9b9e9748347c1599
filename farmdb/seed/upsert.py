"""Idempotent loading: rows are found by their natural key and only touched when something really differs,
so a second `kheti seed` issues no UPDATE and leaves every updated_at as it was."""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session


class Upserter:
    """Loads the existing rows of a model once, keyed by `key_fields`, then inserts or updates in memory.
    Meant for reference tables (a few thousand rows at most), where one read beats a query per row."""

    def __init__(self, session: Session, model, key_fields: Iterable[str], where=None):
        self.session, self.model, self.key_fields = session, model, tuple(key_fields)
        query = select(model) if where is None else select(model).where(where)
        self.rows = {self._key_of(row): row for row in session.scalars(query)}
        self.inserted = self.updated = 0

    def _key_of(self, row) -> tuple:
        return tuple(getattr(row, f) for f in self.key_fields)

    def put(self, values: dict[str, Any]):
        key = tuple(values[f] for f in self.key_fields)
        row = self.rows.get(key)
        if row is None:
            row = self.model(**values)
            self.session.add(row)
            self.rows[key] = row
            self.inserted += 1
            return row
        changed = False
        for field, value in values.items():
            if getattr(row, field) != value:
                setattr(row, field, value)
                changed = True
        self.updated += changed
        return row

    @property
    def count(self) -> int:
        return len(self.rows)
