"""Subscribe to a paid advisory plan: choose, confirm, get a UPI payment link by SMS."""
from __future__ import annotations

from datetime import date

from dialogs.context import Ctx
from dialogs.effects import StartPayment
from dialogs.flows.common import label
from dialogs.screens import Choice, End, Go, Menu
from dialogs.texts import N_


def plan_choices(ctx: Ctx) -> list[Choice]:
    return [Choice(ctx.t(N_("subscribe.plan"), plan=label(ctx, plan), price=ctx.t.money(plan.price_minor // 100),
                         days=plan.duration_days), plan.key, translate=False)
            for plan in ctx.services.plans()]


def _plan(ctx: Ctx):
    return next(p for p in ctx.services.plans() if p.key == ctx.session.answers["plan"])


def confirm_params(ctx: Ctx) -> dict:
    plan = _plan(ctx)
    return {"plan": label(ctx, plan), "price": ctx.t.money(plan.price_minor // 100), "days": plan.duration_days}


def subscription(*, farmer_id: int, plan: str, channel: str, day: date) -> StartPayment:
    """A plan bought: its payment link goes out by SMS. One pending payment per farmer, plan and (the farmers')
    day, however often they confirm, on whichever channel: the key makes it so."""
    return StartPayment(farmer_id=farmer_id, plan_code=plan, channel=channel,
                        idempotency_key=f"subscribe:{farmer_id}:{plan}:{day:%Y-%m-%d}")


def start_payment(ctx: Ctx, _value) -> Go:
    ctx.effects.append(subscription(farmer_id=ctx.profile.farmer_id, plan=ctx.session.answers["plan"],
                                    channel=ctx.event.channel, day=ctx.services.today()))
    return Go("subscribe_done")


SCREENS = [
    Menu("subscribe", title=N_("subscribe.title"), choices=plan_choices, store="plan", target="subscribe_confirm",
         uses=(N_("subscribe.plan"),)),
    Menu("subscribe_confirm", title=N_("subscribe.confirm"), title_params=confirm_params, choices=(
        Choice(N_("common.yes"), action=start_payment, target="subscribe_done"),
        Choice(N_("common.no"), target="main"),
    )),
    End("subscribe_done", body=lambda ctx: [ctx.t(N_("subscribe.done"))], uses=(N_("subscribe.done"),)),
]
