"""Price alerts: a farmer asks to be told by SMS when their crop's modal price at a mandi (or at the three mandis
nearest a district) goes above, or falls below, an amount. After each price import every active alert is checked;
one SMS goes per crossing (`armed` is cleared when it fires and set again once the price is back on the other side),
not one every day the price stays there. How many a farmer may have and how long one lasts:
dialogs.flows.price_alerts."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from farmdb.models.base import Base, Timestamps
from farmdb.models.catalogue import Crop, District, Mandi
from farmdb.models.farmers import Farmer
from farmdb.types import UtcDateTime


class PriceAlert(Timestamps, Base):
    __tablename__ = "price_alerts"
    # The check reads a crop's active alerts; SQLite must not hand an erased alert's id to a new one (service.prices.
    # alerts keys its SMS on the id).
    __table_args__ = (Index("ix_price_alerts_active", "crop_id", "cancelled_at", "expires_on"),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    farmer_id: Mapped[int] = mapped_column(ForeignKey("farmers.id", ondelete="CASCADE"), index=True)
    crop_id: Mapped[int] = mapped_column(ForeignKey("crops.id"))
    mandi_id: Mapped[int | None] = mapped_column(ForeignKey("mandis.id"))  # None: the nearest three to district_id
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    direction: Mapped[str] = mapped_column(String(5))  # above | below
    amount: Mapped[int] = mapped_column(Integer)  # rupees per quintal, as the modal price
    channel: Mapped[str] = mapped_column(String(16))
    expires_on: Mapped[date] = mapped_column(Date)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    armed: Mapped[bool] = mapped_column(Boolean, default=True)  # the next crossing sends an SMS
    last_price: Mapped[int | None] = mapped_column(Integer)  # the price the last check saw, and its day
    last_price_date: Mapped[date | None] = mapped_column(Date)
    times_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    farmer: Mapped[Farmer] = relationship()
    crop: Mapped[Crop] = relationship()
    mandi: Mapped[Mandi | None] = relationship()
    district: Mapped[District | None] = relationship()

    def crossed(self, price: int) -> bool:
        return price >= self.amount if self.direction == "above" else price <= self.amount
