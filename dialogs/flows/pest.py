"""Report a pest or disease: crop, what the farmer sees (or their own words), then a ticket for an expert."""
from __future__ import annotations

from dialogs.effects import CreateExpertRequest, SendSms
from dialogs.engine import Ctx
from dialogs.flows.common import crop_choices, crop_name, parse_description
from dialogs.screens import Ask, Choice, End, Go, Menu
from dialogs.texts import N_, texts

SYMPTOMS = (
    ("yellow_leaves", N_("pest.symptom.yellow_leaves")),
    ("holes", N_("pest.symptom.holes")),
    ("spots", N_("pest.symptom.spots")),
    ("wilting", N_("pest.symptom.wilting")),
    ("insects", N_("pest.symptom.insects")),
    ("fruit_damage", N_("pest.symptom.fruit_damage")),
)


def report(ctx: Ctx, _value) -> Go:
    answers = ctx.session.answers
    description = answers.get("description") or answers["symptom"]
    ticket = ctx.services.new_ticket()
    answers["ticket"] = ticket
    profile = ctx.profile
    ctx.effects.append(CreateExpertRequest(ticket=ticket, farmer_id=profile.farmer_id, kind="pest_report",
                                           channel=ctx.event.channel, crop=answers["crop"], description=description,
                                           recording_url=answers.get("recording_url")))
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
