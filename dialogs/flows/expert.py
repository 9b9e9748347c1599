"""Talk to an expert: ask for a call-back; an agronomist calls the farmer."""
from __future__ import annotations

from dialogs.effects import CreateExpertRequest
from dialogs.engine import Ctx
from dialogs.screens import Choice, End, Go, Menu
from dialogs.texts import N_


def request_callback(ctx: Ctx, _value) -> Go:
    ticket = ctx.services.new_ticket()
    ctx.session.answers["ticket"] = ticket
    ctx.effects.append(CreateExpertRequest(ticket=ticket, farmer_id=ctx.profile.farmer_id, kind="callback",
                                           channel=ctx.event.channel))
    return Go("expert_done")


SCREENS = [
    Menu("expert", title=N_("expert.title"), choices=(
        Choice(N_("common.yes"), action=request_callback, target="expert_done"),
        Choice(N_("common.no"), target="main"),
    )),
    End("expert_done", body=lambda ctx: [ctx.t(N_("expert.done"), ticket=ctx.session.answers["ticket"])],
        uses=(N_("expert.done"),)),
]
