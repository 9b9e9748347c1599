"""Declarative base with constraint names Alembic can rely on (SQLite batch migrations need named constraints)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from farmdb.types import UtcDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Localised:
    """Rows a farmer sees by name: `names` and `romanised` are {locale: text}; English is always present."""

    names: Mapped[dict]
    romanised: Mapped[dict]

    def name_in(self, locale: str, *, latin: bool = False) -> str:
        """The name for a locale; `latin` for screens that cannot show Devanagari (USSD on most operators)."""
        if latin:
            return self.romanised.get(locale) or self.names["en"]
        return self.names.get(locale) or self.names["en"]
