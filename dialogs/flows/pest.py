"""Report a pest or disease: crop, what the farmer sees (or their own words), then a ticket for an expert."""
from __future__ import annotations

from dialogs.context import Ctx
from dialogs.effects import CreateExpertRequest, SendSms
from dialogs.flows.common import crop_choices, crop_name, parse_description
from dialogs.screens import Ask, Choice, End, Go, Menu
from dialogs.services import FarmServices
from dialogs.texts import N_, texts

SYMPTOMS = (
    ("yellow_leaves", N_("pest.symptom.yellow_leaves")),
    ("holes", N_("pest.symptom.holes")),
    ("spots", N_("pest.symptom.spots")),
    ("wilting", N_("pest.symptom.wilting")),
    ("insects", N_("pest.symptom.insects")),
    ("fruit_damage", N_("pest.symptom.fruit_damage")),
)


def pest_report(services: FarmServices, *, farmer_id: int, channel: str, crop: str | None, description: str,
                recording_url: str | None = None) -> CreateExpertRequest:
    """A pest or disease report for an expert, with a fresh ticket: the one way every channel files it."""
    return CreateExpertRequest(ticket=services.new_ticket(), farmer_id=farmer_id, kind="pest_report",
                               channel=channel, crop=crop, description=description, recording_url=recording_url)


def report(ctx: Ctx, _value) -> Go:
    answers = ctx.session.answers
    profile = ctx.profile
    request = pest_report(ctx.services, farmer_id=profile.farmer_id, channel=ctx.event.channel, crop=answers["crop"],
                          description=answers.get("description") or answers["symptom"],
                          recording_url=answers.get("recording_url"))
    ctx.effects.append(request)
    ticket = answers["ticket"] = request.ticket
    sms = texts(ctx.session.locale, latin=False)
    crop = next(c for c in ctx.services.crops() if c.key == answers["crop"])
    ctx.effects.append(SendSms(
        phone=ctx.event.phone, locale=ctx.session.locale, purpose="ticket", farmer_id=profile.farmer_id,
        body=sms(N_("pest.sms"), crop=crop.label(ctx.session.locale, latin=False), ticket=ticket),
        idempotency_key=f"ticket:{ticket}",
    ))
    return Go("pest_done")


SCREENS = [
    Menu("pest_crop", title=N_("pest.crop.title"), choices=crop_choices, store="crop", target="pest_symptom"),
    Menu("pest_symptom", title=N_("pest.symptom.title"), store="symptom", choices=(
        *(Choice(key, code, action=report, target="pest_done") for code, key in SYMPTOMS),
        Choice(N_("pest.symptom.other"), target="pest_describe"),
    ), uses=(N_("pest.sms"),)),
    Ask("pest_describe", prompt=N_("pest.describe.prompt"), store="description", parse=parse_description,
        action=report, target="pest_done", uses=(N_("error.description"),),
        recorded_as=N_("voice.recorded_question"), record=True),
    End("pest_done", body=lambda ctx: [ctx.t(N_("pest.done"), ticket=ctx.session.answers["ticket"],
                                             crop=crop_name(ctx, ctx.session.answers["crop"]))],
        uses=(N_("pest.done"),)),
]
