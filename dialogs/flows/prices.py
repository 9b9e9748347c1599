"""Mandi prices: choose a crop (the farmer's own first), see the latest prices at the nearest mandis. Every price
says its day ("today", "4 December"), an old one says it is old, and where no mandi in reach has a price, the
nearest one that has is offered (SMS and calls say the same: dialogs/sms/questions.py, dialogs/voice.py)."""
from __future__ import annotations

from dialogs.context import Ctx
from dialogs.flows.common import crop_choices, crop_name, label
from dialogs.screens import Choice, Info, Menu
from dialogs.services import FarmServices, MandiPrice
from dialogs.texts import N_, Phrase, Texts

PRICE_REACH_KM = 150  # about a day's trip with a tractor trolley: farther mandis are offered, not listed as near


def in_reach(prices: list[MandiPrice]) -> tuple[list[MandiPrice], MandiPrice | None]:
    """(the prices at mandis in reach, else the nearest mandi that has one): `prices` come nearest first."""
    near = [p for p in prices if p.distance_km <= PRICE_REACH_KM]
    return near, (prices[0] if prices and not near else None)


def dated(t: Texts, services: FarmServices, price: MandiPrice, name: str, fresh: str, old: str,
          say_today: bool = True) -> Phrase:
    """One mandi's price with its day; past PRICE_STALE_DAYS the `old` wording says it is old."""
    age = (services.today() - price.price_date).days
    values = {"mandi": name, "modal": t.money(price.modal_price), "low": t.number(price.min_price),
              "high": t.number(price.max_price)}
    if age > services.price_stale_days:
        return t(old, date=t.date(price.price_date), **values)
    return t(fresh, date=t(N_("prices.today")) if say_today and age <= 0 else t.date(price.price_date), **values)


def price_lines(ctx: Ctx) -> list[str]:
    t, crop = ctx.t, ctx.session.answers["crop"]
    district_id = ctx.profile.district_id if ctx.profile else None
    near, far = in_reach(ctx.services.prices(crop, district_id, limit=3))
    if far:
        return [t(N_("prices.none"), crop=crop_name(ctx, crop)), t(N_("prices.far")),
                dated(t, ctx.services, far, label(ctx, far.mandi), N_("prices.line"), N_("prices.line.old"))]
    if not near:
        return [t(N_("prices.none"), crop=crop_name(ctx, crop))]
    return [t(N_("prices.title"), crop=crop_name(ctx, crop)),
            *(dated(t, ctx.services, p, label(ctx, p.mandi), N_("prices.line"), N_("prices.line.old")) for p in near)]


SCREENS = [
    Menu("prices_crop", title=N_("prices.crop.title"), choices=crop_choices, store="crop", target="prices"),
    # Price alerts are set by USSD (and SMS): on a call a spoken price is too easily misheard.
    Info("prices", body=price_lines, choices=(
        Choice(N_("prices.alert.set"), target="alert_mandi", channels=("ussd",)),
        Choice(N_("prices.alert.mine"), target="alerts", channels=("ussd",)),
    ), uses=(N_("prices.none"), N_("prices.title"), N_("prices.line"),
                                          N_("prices.line.old"), N_("prices.far"), N_("prices.today"))),
]
