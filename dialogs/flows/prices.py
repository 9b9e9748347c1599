"""Mandi prices: choose a crop (the farmer's own first), see the latest prices at the nearest mandis."""
from __future__ import annotations

from dialogs.context import Ctx
from dialogs.flows.common import crop_choices, crop_name, label
from dialogs.screens import Info, Menu
from dialogs.texts import N_


def price_lines(ctx: Ctx) -> list[str]:
    t, crop = ctx.t, ctx.session.answers["crop"]
    district_id = ctx.profile.district_id if ctx.profile else None
    prices = ctx.services.prices(crop, district_id, limit=3)
    if not prices:
        return [t(N_("prices.none"), crop=crop_name(ctx, crop))]
    newest = max(p.price_date for p in prices)
    lines = [t(N_("prices.title"), crop=crop_name(ctx, crop), date=t.date(newest))]
    for price in prices:
        lines.append(t(N_("prices.line"), mandi=label(ctx, price.mandi), modal=t.money(price.modal_price),
                       low=t.number(price.min_price), high=t.number(price.max_price)))
    return lines


SCREENS = [
    Menu("prices_crop", title=N_("prices.crop.title"), choices=crop_choices, store="crop", target="prices"),
    Info("prices", body=price_lines, uses=(N_("prices.none"), N_("prices.title"), N_("prices.line"))),
]
