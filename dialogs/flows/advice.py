"""Crop advice for the stage the crop is at (from its sowing date, or asked), with "send this by SMS"."""
from __future__ import annotations

from dialogs.context import Ctx
from dialogs.effects import SendSms
from dialogs.flows.common import crop_choices, crop_name
from dialogs.model import Profile
from dialogs.screens import Choice, End, Go, Info, Menu
from dialogs.services import FarmServices
from dialogs.texts import N_, texts

STAGES = {
    "sowing": N_("stage.sowing"), "establishment": N_("stage.establishment"), "vegetative": N_("stage.vegetative"),
    "tillering": N_("stage.tillering"), "flowering": N_("stage.flowering"), "fruiting": N_("stage.fruiting"),
    "pod_filling": N_("stage.pod_filling"), "grain_filling": N_("stage.grain_filling"),
    "boll_formation": N_("stage.boll_formation"), "tuber_bulking": N_("stage.tuber_bulking"),
    "maturity": N_("stage.maturity"), "harvest": N_("stage.harvest"),
}


def stage_of(services: FarmServices, profile: Profile | None, crop: str) -> str | None:
    """The stage the farmer's crop has reached, from its sowing date; None when we do not know when it was sown."""
    sown_on = profile.sown_on(crop) if profile else None
    return services.crop_stage(crop, sown_on) if sown_on else None


def advisory_for(services: FarmServices, profile: Profile | None, crop: str, stage: str) -> dict[str, str] | None:
    """The advice for a crop at a stage, by catalogue ("hi", "hi_Latn"...): the farmer's state's own, else the
    country-wide one."""
    return services.advisory(crop, stage, profile.state_id if profile else None)


def choose_crop(ctx: Ctx, crop: str) -> Go:
    stage = stage_of(ctx.services, ctx.profile, crop)
    if stage:
        ctx.session.answers["stage"] = stage
        return Go("advice")
    return Go("advice_stage")


def stage_choices(ctx: Ctx) -> list[Choice]:
    crop = next(c for c in ctx.services.crops() if c.key == ctx.session.answers["crop"])
    return [Choice(STAGES[stage], stage) for stage in crop.stages]


def _advisory(ctx: Ctx) -> dict[str, str] | None:
    return advisory_for(ctx.services, ctx.profile, ctx.session.answers["crop"], ctx.session.answers["stage"])


def advice_lines(ctx: Ctx) -> list[str]:
    t, crop = ctx.t, ctx.session.answers["crop"]
    texts_by_catalogue = _advisory(ctx)
    if not texts_by_catalogue:
        return [t(N_("advice.none"), crop=crop_name(ctx, crop))]
    title = t(N_("advice.title"), crop=crop_name(ctx, crop), stage=t(STAGES[ctx.session.answers["stage"]]))
    return [title, texts_by_catalogue.get(t.catalogue) or texts_by_catalogue["en"]]


def send_by_sms(ctx: Ctx, _value) -> Go:
    """The SMS goes in the farmer's own script: phones show Devanagari SMS even where USSD cannot."""
    advisory = _advisory(ctx)
    if not advisory or not ctx.profile:
        return Go("advice_sent")
    locale, answers = ctx.session.locale, ctx.session.answers
    sms_texts = texts(locale, latin=False)
    body = sms_texts(N_("advice.sms"), crop=_crop_in_script(ctx, answers["crop"], locale),
                     text=advisory.get(locale) or advisory["en"])
    ctx.effects.append(SendSms(
        phone=ctx.event.phone, body=body, locale=locale, purpose="advisory", farmer_id=ctx.profile.farmer_id,
        idempotency_key=f"advice:{ctx.profile.farmer_id}:{answers['crop']}:{answers['stage']}:"
                        f"{ctx.services.today():%Y-%m-%d}",  # once a (farmer's) day
    ))
    return Go("advice_sent")


def _crop_in_script(ctx: Ctx, code: str, locale: str) -> str:
    crop = next((c for c in ctx.services.crops() if c.key == code), None)
    return crop.label(locale, latin=False) if crop else code


SCREENS = [
    Menu("advice_crop", title=N_("advice.crop.title"), choices=crop_choices, store="crop", action=choose_crop,
         exits_also=("advice", "advice_stage")),
    Menu("advice_stage", title=N_("advice.stage.title"),
         title_params=lambda ctx: {"crop": crop_name(ctx, ctx.session.answers["crop"])},
         choices=stage_choices, store="stage", target="advice", uses=tuple(STAGES.values())),
    Info("advice", body=advice_lines, choices=(Choice(N_("advice.send_sms"), action=send_by_sms,
                                                      target="advice_sent"),),
         uses=(N_("advice.none"), N_("advice.title"), N_("advice.sms"))),
    End("advice_sent", body=lambda ctx: [ctx.t(N_("advice.sms_sent"))], uses=(N_("advice.sms_sent"),)),
]
