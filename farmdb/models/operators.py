"""The people who run the service: operators (admins, agronomists, viewers), their API keys, and the audit log of
everything they do. The audit log is append-only: the database itself refuses to change or delete a row of it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from farmdb.models.base import Base, Timestamps
from farmdb.types import JsonDoc, UtcDateTime, utcnow

ROLES = ("viewer", "agronomist", "admin")  # each may do what the one before it may, and more


class Operator(Timestamps, Base):
    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)  # a one-time password was given
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    phone: Mapped[str | None] = mapped_column(String(16))  # E.164: where a bridged call to a farmer rings first
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)  # in a row, since the last good one
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Bumped by a password change or a disable: sessions made before it are refused at once.
    session_version: Mapped[int] = mapped_column(Integer, default=1)

    keys: Mapped[list["ApiKey"]] = relationship(back_populates="operator")


class ApiKey(Base):
    """A named key for API v1, acting as its operator with the operator's role. Only a hash is kept: the key is
    shown once, when made. Keys are long and random, so one SHA-256 is as good as a slow hash here and costs a
    request nothing; the prefix finds the row."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    operator: Mapped[Operator] = relationship(back_populates="keys")


class AuditEvent(Base):
    """Who did what, when, from where. A log, not a relation: `operator_id` is kept as it was (no foreign key, so
    nothing ever has to change a row), and `actor` the username, readable as it was then. The database refuses
    UPDATE and DELETE on this table (migration 0005)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    operator_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40), index=True)
    target_type: Mapped[str | None] = mapped_column(String(24))
    target_id: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
