"""Agmarknet's prices stored as ours, with a report: each record mapped to our crop and mandi (service.prices.names),
judged, and written once.

- Idempotent: a day, mandi, crop and variety is one row; the same record again changes nothing, a new price for it
  updates that row.
- Judged before it is stored: a zero price, a modal outside min-max, or a modal ten times (or a tenth of) the last
  reported one of the week before at that mandi are data errors that happen; they are skipped and reported.
- A reported price replaces the demo prices of its day, mandi and crop (`kheti seed` never writes one back).
- Nothing is dropped silently: every record is stored, updated, unchanged or skipped for a reason in the report.

The caller owns the transaction; once it commits, `freshness.bump` makes every process hear the new prices.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from farmdb.models import Crop, Mandi, MarketPrice
from farmdb.types import utcnow
from service.prices.names import Places, Table, table as default_table
from service.prices.records import Problem, Record
from service.prices.report import Report

SOURCE = "agmarknet"
JUMP = 10  # a modal this many times the last one (or this fraction of it) is a typing error, not a market
JUMP_LOOKBACK_DAYS = 7  # "yesterday's" price: the last reported one within this many days before


def store(db: Session, records: list[Record], problems: list[Problem] = (), *, report: Report | None = None,
          names: Table | None = None, now: datetime | None = None) -> Report:
    """Map, judge and store `records` (and report `problems`, what could not be read) in `db`'s transaction."""
    report = report or Report()
    names = names or default_table()
    now = now or utcnow()
    report.read += len(records) + len(problems)
    for where, why in problems:
        report.skip("unreadable", where, why)
    crop_ids = dict(db.execute(select(Crop.code, Crop.id)).all())
    places = Places(db, names)
    accepted: dict[tuple[int, int, date, str], Record] = {}
    for record in records:
        crop = names.crop_for(record.commodity, record.variety)
        if isinstance(crop, tuple):
            report.skip(crop[0], record.where, crop[1], name=crop[1])
            continue
        if crop.code not in crop_ids:  # the table names a crop the database lacks: seed it
            report.skip("unknown commodity", record.where, record.commodity, name=f"{record.commodity} ({crop.code})")
            continue
        problem = judged(record)
        if problem:
            report.skip(problem, record.where, f"{record.commodity} at {record.market}: min {record.min_price}, "
                        f"max {record.max_price}, modal {record.modal_price}")
            continue
        mandi_id = places.mandi_for(record.state, record.district, record.market)
        if isinstance(mandi_id, str):
            place = record.state if mandi_id == "unknown state" else f"{record.district}, {record.state}"
            report.skip(mandi_id, record.where, place, name=place)
            continue
        key = (crop_ids[crop.code], mandi_id, record.day, crop.variety)
        if key in accepted:
            kept, other = accepted[key], record
            if _fair_average(record) and not _fair_average(kept):  # FAQ wins whichever came first: no flip-flop
                accepted[key], kept, other = record, record, kept
            report.skip("repeated", other.where, f"{other.commodity} {other.variety} ({other.grade or 'no grade'}) "
                        f"at {other.market} on {other.day} is also {kept.where}")
            continue
        accepted[key] = record
    report.new_mandis += places.new_mandis
    report.by_name += places.by_name
    if accepted:
        _write(db, accepted, report, now)
    return report


def _fair_average(record: Record) -> bool:
    """Graded FAQ (fair average quality), the grade a mandi's quoted price means: kept over another grade of the
    same variety, so the row does not change with the order the API sends them in."""
    return record.grade.strip().upper() == "FAQ"


def judged(record: Record) -> str | None:
    if 0 in (record.min_price, record.max_price, record.modal_price):
        return "zero price"
    if not record.min_price <= record.modal_price <= record.max_price:
        return "modal outside min-max"
    return None


def _write(db: Session, accepted: dict[tuple[int, int, date, str], Record], report: Report, now: datetime) -> None:
    days = {key[2] for key in accepted}
    crops = {key[0] for key in accepted}
    existing = {(p.crop_id, p.mandi_id, p.price_date, p.variety): p for p in db.scalars(
        select(MarketPrice).where(MarketPrice.price_date.in_(days), MarketPrice.crop_id.in_(crops)))}
    before = _reported_before(db, crops, min(days), max(days))
    districts = dict(db.execute(select(Mandi.id, Mandi.district_id).where(
        Mandi.id.in_({key[1] for key in accepted}))).all())
    replaced = set()
    for key in sorted(accepted, key=lambda k: k[2]):
        crop_id, mandi_id, day, variety = key
        record = accepted[key]
        last = _last(before.get((crop_id, mandi_id, variety), []), day)
        if last and not last / JUMP < record.modal_price < last * JUMP:
            report.skip("tenfold jump", record.where, f"{record.commodity} at {record.market}: modal "
                        f"{record.modal_price} after {last}")
            continue
        before.setdefault((crop_id, mandi_id, variety), []).append((day, record.modal_price))
        values = {"min_price": record.min_price, "max_price": record.max_price, "modal_price": record.modal_price,
                  "source": SOURCE, "district_id": districts[mandi_id]}
        row = existing.get(key)
        if row is None:
            db.add(MarketPrice(crop_id=crop_id, mandi_id=mandi_id, price_date=day, variety=variety,
                               fetched_at=now, **values))
            report.stored += 1
        elif any(getattr(row, name) != value for name, value in values.items()):
            report.updated += row.source == SOURCE
            report.stored += row.source != SOURCE  # a demo price with our variety: now a reported one
            for name, value in values.items():
                setattr(row, name, value)
            row.fetched_at = now
        else:
            report.unchanged += 1
        report.days.add(day)
        replaced.add((crop_id, mandi_id, day))
    for (crop_id, mandi_id, day, _), row in existing.items():
        if row.source == "demo" and (crop_id, mandi_id, day) in replaced:
            db.delete(row)
            report.demo_replaced += 1
    db.flush()


def _reported_before(db: Session, crops: set[int], first: date, last: date) -> dict[tuple, list[tuple[date, int]]]:
    """(crop, mandi, variety) -> [(day, modal)] of reported prices in the week before `first` up to `last`."""
    rows = db.execute(select(MarketPrice.crop_id, MarketPrice.mandi_id, MarketPrice.variety, MarketPrice.price_date,
                             MarketPrice.modal_price)
                      .where(MarketPrice.source == SOURCE, MarketPrice.crop_id.in_(crops),
                             MarketPrice.price_date >= first - timedelta(days=JUMP_LOOKBACK_DAYS),
                             MarketPrice.price_date < last))
    found: dict[tuple, list[tuple[date, int]]] = {}
    for crop_id, mandi_id, variety, day, modal in rows:
        found.setdefault((crop_id, mandi_id, variety), []).append((day, modal))
    return found


def _last(prices: list[tuple[date, int]], day: date) -> int | None:
    """The newest modal reported within JUMP_LOOKBACK_DAYS before `day`."""
    earlier = [(d, modal) for d, modal in prices if day - timedelta(days=JUMP_LOOKBACK_DAYS) <= d < day]
    return max(earlier)[1] if earlier else None
