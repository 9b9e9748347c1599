"""Farmers, what they grow, and their consent (DPDP Act 2023: specific, informed, recorded, easy to withdraw)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from farmdb.models.base import Base, Timestamps
from farmdb.models.catalogue import Crop, District, State
from farmdb.types import UtcDateTime, utcnow

LAND_UNITS = ("acre", "hectare", "bigha", "guntha")
CHANNELS = ("ussd", "sms", "voice", "web", "operator")


class Farmer(Timestamps, Base):
    __tablename__ = "farmers"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(16), unique=True)  # E.164, see farmdb.phones.to_e164
    name: Mapped[str | None] = mapped_column(String(80))
    locale: Mapped[str] = mapped_column(String(8), default="hi")
    state_id: Mapped[int | None] = mapped_column(ForeignKey("states.id"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    village: Mapped[str | None] = mapped_column(String(80))
    land_area: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    land_unit: Mapped[str | None] = mapped_column(String(8))
    registered_via: Mapped[str | None] = mapped_column(String(16))

    consent_given_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    consent_channel: Mapped[str | None] = mapped_column(String(16))
    consent_withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    consent_withdrawn_channel: Mapped[str | None] = mapped_column(String(16))
    sms_opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    sms_opted_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    state: Mapped[State | None] = relationship()
    district: Mapped[District | None] = relationship()
    crops: Mapped[list["FarmerCrop"]] = relationship(back_populates="farmer", cascade="all, delete-orphan")

    @property
    def has_consent(self) -> bool:
        return self.consent_given_at is not None and self.consent_withdrawn_at is None

    def give_consent(self, channel: str, notice: str, at: datetime | None = None) -> "ConsentEvent":
        at = at or utcnow()
        self.consent_given_at, self.consent_channel = at, channel
        self.consent_withdrawn_at = self.consent_withdrawn_channel = None
        return ConsentEvent(farmer=self, action="given", channel=channel, notice=notice, at=at)

    def withdraw_consent(self, channel: str, notice: str, at: datetime | None = None) -> "ConsentEvent":
        at = at or utcnow()
        self.consent_withdrawn_at, self.consent_withdrawn_channel = at, channel
        return ConsentEvent(farmer=self, action="withdrawn", channel=channel, notice=notice, at=at)


class FarmerCrop(Base):
    __tablename__ = "farmer_crops"

    farmer_id: Mapped[int] = mapped_column(ForeignKey("farmers.id", ondelete="CASCADE"), primary_key=True)
    crop_id: Mapped[int] = mapped_column(ForeignKey("crops.id"), primary_key=True, index=True)
    sown_on: Mapped[date | None] = mapped_column(Date)  # drives crop-stage advisories

    farmer: Mapped[Farmer] = relationship(back_populates="crops")
    crop: Mapped[Crop] = relationship()


class ConsentEvent(Base):
    """Append-only record of each consent given or withdrawn. Kept after the farmer's data is erased (farmer_id is
    then null), because proving when and how consent was given and withdrawn is itself a duty under the DPDP Act."""

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    farmer_id: Mapped[int | None] = mapped_column(ForeignKey("farmers.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # given | withdrawn
    channel: Mapped[str] = mapped_column(String(16))
    notice: Mapped[str] = mapped_column(String(64))  # message id and version of the notice the farmer saw
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    farmer: Mapped[Farmer | None] = relationship()
