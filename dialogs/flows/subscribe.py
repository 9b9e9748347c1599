"""Subscribe to a paid advisory plan: choose, confirm, get a UPI payment link by SMS."""
from __future__ import annotations

from dialogs.effects import StartPayment
from dialogs.engine import Ctx
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


def start_payment(ctx: Ctx, _value) -> Go:
    """One pending payment per farmer, plan and day, however often they confirm: the key makes it so."""
    plan, farmer_id = ctx.session.answers["plan"], ctx.profile.farmer_id
    ctx.effects.append(StartPayment(farmer_id=farmer_id, plan_code=plan, channel=ctx.event.channel,
                                    idempotency_key=f"subscribe:{farmer_id}:{plan}:{ctx.now:%Y-%m-%d}"))
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
