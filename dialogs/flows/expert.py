"""Talk to an expert: ask for a call-back; an agronomist calls the farmer. On the voice line the farmer first
records the question, so the expert calls back ready with an answer."""
from __future__ import annotations

from dialogs.context import Ctx
from dialogs.effects import CreateExpertRequest
from dialogs.screens import Ask, Choice, End, Go, Menu
from dialogs.services import FarmServices
from dialogs.texts import N_


def expert_request(services: FarmServices, *, farmer_id: int, channel: str, description: str | None = None,
                   recording_url: str | None = None) -> CreateExpertRequest:
    """A call-back from an expert, with a fresh ticket; with a recorded question it is a "question"."""
    return CreateExpertRequest(ticket=services.new_ticket(), farmer_id=farmer_id,
                               kind="question" if recording_url else "callback", channel=channel,
                               description=description, recording_url=recording_url)


def request_callback(ctx: Ctx, _value) -> Go:
    if ctx.event.channel == "voice" and ctx.session.screen == "expert":
        return Go("expert_question")
    answers = ctx.session.answers
    request = expert_request(ctx.services, farmer_id=ctx.profile.farmer_id, channel=ctx.event.channel,
                             description=answers.get("question"), recording_url=answers.get("recording_url"))
    ctx.effects.append(request)
    answers["ticket"] = request.ticket
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
