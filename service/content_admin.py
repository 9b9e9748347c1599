"""The other content an admin keeps: DLT templates (as `kheti dlt add` records them), plans (names, price, length)
and a correction to one mandi price, judged as an import judges one and heard by every process at once."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from farmdb.db import after_commit
from farmdb.models import Crop, District, DltTemplate, Mandi, MarketPrice, Plan
from locales.languages import LANGUAGES
from service.content import ContentError
from service.context import Service
from service.prices import freshness
from service.prices.importer import judged  # the importer's own rule for a price that cannot be right
from service.value_types import SMS_CATEGORIES

TEMPLATE_FIELDS = {"template_id": 32, "entity_id": 32, "header": 11, "name": 80, "text": 2000}  # column widths
CORRECTED = "operator"  # MarketPrice.source of a price an operator corrected by hand
MAX_PLAN_DAYS = 3660


# --- DLT templates -------------------------------------------------------------------------------------------------

def record_template(db: Session, *, template_id: str, entity_id: str, header: str, category: str, name: str,
                    text: str) -> tuple[DltTemplate, dict]:
    """A template registered on the DLT portal, recorded active (replacing the row with the same template id, as
    `kheti dlt add` does); returns the row and what changed (before/after)."""
    values = {"template_id": template_id, "entity_id": entity_id, "header": header, "name": name, "text": text}
    values = {field: (value or "").strip() for field, value in values.items()}
    problems = {field: "required" for field, value in values.items() if not value}
    problems.update({field: f"at most {TEMPLATE_FIELDS[field]} characters" for field, value in values.items()
                     if len(value) > TEMPLATE_FIELDS[field]})
    if category not in SMS_CATEGORIES:
        problems["category"] = f"one of {', '.join(SMS_CATEGORIES)}"
    if problems:
        raise ContentError(problems)
    row = db.scalar(select(DltTemplate).where(DltTemplate.template_id == values["template_id"]))
    if row is None:
        row = DltTemplate()  # every field, the id included, is in what changed: the audit shows a new one whole
        db.add(row)
    wanted = {**values, "category": category, "active": True, "source": "registered", "var_max_chars": 30}
    changed = _set(row, wanted)
    db.flush()
    return row, changed


def set_template_active(row: DltTemplate, active: bool) -> dict:
    """Stop (or start again) matching messages against a template: a broadcast checks the active ones only."""
    return _set(row, {"active": active})


# --- plans ---------------------------------------------------------------------------------------------------------

def rupees_to_paise(rupees: str | Decimal) -> int:
    try:
        amount = Decimal(str(rupees).strip())
    except InvalidOperation:
        raise ContentError({"price": "a price in rupees, such as 30 or 29.50"})
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")) or amount > 100_000:
        raise ContentError({"price": "a price in rupees above 0, at most 100000, to the paisa"})
    return int(amount * 100)


def update_plan(plan: Plan, *, names: dict[str, str], romanised: dict[str, str], rupees: str | Decimal,
                duration_days: int, active: bool) -> dict:
    """A plan's name in every language (and in Latin letters, ASCII), price and length, checked first."""
    problems = {}
    names = {code: (names.get(code) or "").strip() for code in (lang.code for lang in LANGUAGES)}
    romanised = {lang.code: (romanised.get(lang.code) or "").strip() for lang in LANGUAGES if lang.romanised}
    for code, name in {**names, **{f"{c}_Latn": n for c, n in romanised.items()}}.items():
        if not name or len(name) > 60:
            problems[code] = "a name of 1 to 60 characters"
        elif code.endswith("_Latn") and not name.isascii():
            problems[code] = "Latin letters only (plain ASCII)"
    if not isinstance(duration_days, int) or not 1 <= duration_days <= MAX_PLAN_DAYS:
        problems["duration_days"] = f"1 to {MAX_PLAN_DAYS} days"
    try:
        paise = rupees_to_paise(rupees)
    except ContentError as exc:
        problems.update(exc.problems)
    if problems:
        raise ContentError(problems)
    return _set(plan, {"names": {**plan.names, **names}, "romanised": {**plan.romanised, **romanised},
                       "price_minor": paise, "duration_days": duration_days, "active": bool(active)})


# --- prices --------------------------------------------------------------------------------------------------------

def latest_prices(crop_code: str | None = None, state_id: int | None = None):
    """Each crop's newest prices at each mandi (every variety of that day), as the dialogs would say them."""
    newest = (select(MarketPrice.crop_id, MarketPrice.mandi_id, func.max(MarketPrice.price_date).label("day"))
              .group_by(MarketPrice.crop_id, MarketPrice.mandi_id).subquery())
    query = (select(MarketPrice).join(newest, (MarketPrice.crop_id == newest.c.crop_id)
                                      & (MarketPrice.mandi_id == newest.c.mandi_id)
                                      & (MarketPrice.price_date == newest.c.day))
             .join(Crop, Crop.id == MarketPrice.crop_id).join(Mandi, Mandi.id == MarketPrice.mandi_id)
             .join(District, District.id == MarketPrice.district_id))
    if crop_code:
        query = query.where(Crop.code == crop_code)
    if state_id:
        query = query.where(District.state_id == state_id)
    return query.order_by(Crop.code, District.name, Mandi.name, MarketPrice.variety)


@dataclass(frozen=True)
class _Typed:
    """The importer judges records; a correction is judged as one."""
    min_price: int
    max_price: int
    modal_price: int


def correct_price(service: Service, db: Session, price: MarketPrice, *, min_price: int, max_price: int,
                  modal_price: int) -> dict:
    """One row's prices set by hand (source "operator"), judged as an import judges them; once the caller's
    transaction commits every process hears it (freshness.bump), and price alerts are checked, as after an import."""
    if any(not isinstance(v, int) or v < 0 or v > 10_000_000 for v in (min_price, max_price, modal_price)):
        raise ContentError({"modal_price": "whole rupees per quintal, 0 to 10000000"})
    problem = judged(_Typed(min_price, max_price, modal_price))
    if problem:
        raise ContentError({"modal_price": f"{problem}: a price is above 0 and min <= modal <= max"})
    changed = _set(price, {"min_price": min_price, "max_price": max_price, "modal_price": modal_price,
                           "source": CORRECTED})
    if changed:
        redis = service.backends.redis
        after_commit(db, lambda: freshness.bump(redis))
        if service.tasks.attached:
            after_commit(db, service.tasks.check_price_alerts)
    return changed


def _set(row, values: dict) -> dict:
    """Set the fields that differ; returns {field: {"before", "after"}} of those."""
    changed = {}
    for field, value in values.items():
        before = getattr(row, field, None)
        if before != value:
            changed[field] = {"before": before, "after": value}
            setattr(row, field, value)
    return changed
