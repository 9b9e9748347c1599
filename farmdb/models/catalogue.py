"""Reference data: where farmers are (states, districts, mandis) and what they grow (crops, advisories, prices)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from farmdb.models.base import Base, Localised, Timestamps
from farmdb.types import JsonDoc, UtcDateTime, utcnow


def stage_on(stages: list[tuple[str, int]] | tuple, sown_on: date, today: date) -> str | None:
    """The growth stage a crop sown on `sown_on` is at on `today`; `stages` are (stage, from_day) in order."""
    days, current = (today - sown_on).days, None
    for stage, from_day in stages:
        if days >= from_day:
            current = stage
    return current


class State(Localised, Base):
    __tablename__ = "states"

    id: Mapped[int] = mapped_column(primary_key=True)
    census_code: Mapped[str] = mapped_column(String(4), unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    names: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    romanised: Mapped[dict] = mapped_column(JsonDoc, default=dict)

    districts: Mapped[list["District"]] = relationship(back_populates="state", order_by="District.name")


class District(Localised, Base):
    __tablename__ = "districts"
    __table_args__ = (UniqueConstraint("state_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    census_code: Mapped[str | None] = mapped_column(String(8), unique=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # Where the coordinates came from ("geonames:1261731", "estimate:state-mean"): approximate data says so.
    coordinates_source: Mapped[str | None] = mapped_column(String(40))
    names: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    romanised: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    # Other ways the name is written (GeoNames variants, old names): for matching what a farmer types.
    spellings: Mapped[list] = mapped_column(JsonDoc, default=list)

    state: Mapped[State] = relationship(back_populates="districts")


class Crop(Localised, Base):
    __tablename__ = "crops"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    category: Mapped[str] = mapped_column(String(16))
    season: Mapped[str] = mapped_column(String(16))
    names: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    romanised: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    spellings: Mapped[list] = mapped_column(JsonDoc, default=list)
    # [{"stage": "sowing", "from_day": 0}, ...]: which advisory applies, counted from the sowing date.
    stages: Mapped[list] = mapped_column(JsonDoc, default=list)

    def stage_on(self, sown_on: date, today: date) -> str | None:
        return stage_on([(s["stage"], s["from_day"]) for s in self.stages], sown_on, today)


class Mandi(Localised, Base):
    """An APMC market yard where prices are reported."""

    __tablename__ = "mandis"
    __table_args__ = (UniqueConstraint("district_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    names: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    romanised: Mapped[dict] = mapped_column(JsonDoc, default=dict)

    district: Mapped[District] = relationship()


class MarketPrice(Base):
    """One day's prices for one crop (and variety) at one mandi, in rupees per quintal (100 kg), as Agmarknet
    reports them. `source` is "agmarknet" (fetched or imported: service.prices) or "demo" (`kheti seed`, which
    never overwrites an Agmarknet row); a demo row has no variety."""

    __tablename__ = "market_prices"
    __table_args__ = (UniqueConstraint("crop_id", "mandi_id", "price_date", "variety"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    crop_id: Mapped[int] = mapped_column(ForeignKey("crops.id"), index=True)
    mandi_id: Mapped[int] = mapped_column(ForeignKey("mandis.id"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    price_date: Mapped[date] = mapped_column(Date, index=True)
    min_price: Mapped[int] = mapped_column(Integer)
    max_price: Mapped[int] = mapped_column(Integer)
    modal_price: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(32), default="demo")
    # Agmarknet's variety, after a qualifier its commodity name carries ("Basmati/1121"); "" for demo prices.
    variety: Mapped[str] = mapped_column(String(80), default="", server_default="")
    fetched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # when an import last wrote it

    crop: Mapped[Crop] = relationship()
    mandi: Mapped[Mandi] = relationship()


class Advisory(Timestamps, Base):
    """What to do for a crop at a stage; `state_id` null means it holds everywhere."""

    __tablename__ = "advisories"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Natural key "crop:stage:region" so reference loads and edits can upsert.
    key: Mapped[str] = mapped_column(String(96), unique=True)
    crop_id: Mapped[int] = mapped_column(ForeignKey("crops.id"), index=True)
    stage: Mapped[str] = mapped_column(String(24))
    state_id: Mapped[int | None] = mapped_column(ForeignKey("states.id"))
    texts: Mapped[dict] = mapped_column(JsonDoc, default=dict)

    crop: Mapped[Crop] = relationship()
    state: Mapped[State | None] = relationship()


class WeatherForecast(Base):
    """A day's forecast for a district: from the seeded demo data or cached from the weather API."""

    __tablename__ = "weather_forecasts"
    __table_args__ = (UniqueConstraint("district_id", "forecast_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    forecast_date: Mapped[date] = mapped_column(Date)
    rain_mm: Mapped[float] = mapped_column(Float)
    temp_min_c: Mapped[float] = mapped_column(Float)
    temp_max_c: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(32), default="demo")
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    district: Mapped[District] = relationship()
