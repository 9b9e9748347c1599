"""Talk to an expert: ask for a call-back; an agronomist calls the farmer. On the voice line the farmer first
records the question, so the expert calls back ready with an answer."""
from __future__ import annotations

from dialogs.effects import CreateExpertRequest
from dialogs.engine import Ctx
from dialogs.screens import Ask, Choice, End, Go, Menu
from dialogs.texts import N_


def request_callback(ctx: Ctx, _value) -> Go:
    if ctx.event.channel == "voice" and ctx.session.screen == "expert":
        return Go("expert_question")
    answers = ctx.session.answers
    ticket = ctx.services.new_ticket()
    answers["ticket"] = ticket
    recorded = answers.get("recording_url")
    ctx.effects.append(CreateExpertRequest(ticket=ticket, farmer_id=ctx.profile.farmer_id,
                                           kind="question" if recorded else "callback", channel=ctx.event.channel,
                                           description=answers.get("question"), recording_url=recorded))
    return Go("expert_done")


SCREENS = [
    Menu("expert", title=N_("expert.title"), choices=(
        Choice(N_("common.yes"), action=request_callback, target="expert_done"),
        Choice(N_("common.no"), target="main"),
    ), exits_also=("expert_question",)),
    Ask("expert_question", prompt=N_("voice.expert.question"), store="question", action=request_callback,
        target="expert_done", recorded_as=N_("voice.recorded_question"), record=True),
    End("expert_done", body=lambda ctx: [ctx.t(N_("expert.done"), ticket=ctx.session.answers["ticket"])],
        uses=(N_("expert.done"),)),
]
