"""First dial from an unknown number: language, name, state, district, crops, consent (DPDP), then the main menu.
Nothing is stored about the farmer until they say yes to the consent question."""
from __future__ import annotations

from dialogs.effects import RegisterFarmer
from dialogs.context import Ctx
from dialogs.model import Profile
from dialogs.flows.common import (
    district_choices, find_district, find_state, named_choices, parse_name, state_choices,
)
from dialogs.screens import Ask, Choice, End, Go, Menu
from dialogs.texts import N_
from locales.languages import LANGUAGES

CONSENT_NOTICE = N_("reg.consent.notice")


def language_choices(ctx: Ctx) -> list[Choice]:
    return [Choice(language.menu_label(ctx.event.latin), language.code, translate=False) for language in LANGUAGES]


def set_language(ctx: Ctx, locale: str) -> None:
    ctx.session.locale = locale


def registration(answers: dict, *, phone: str, locale: str, channel: str, notice: str = CONSENT_NOTICE
                 ) -> RegisterFarmer:
    """The farmer, from what they answered (name, state_id, district_id, crops) and the consent notice they said
    yes to: the one way every channel registers someone."""
    return RegisterFarmer(phone=phone, name=answers["name"], locale=locale, state_id=answers["state_id"],
                          district_id=answers["district_id"], crops=tuple(answers["crops"]), channel=channel,
                          consent_notice=notice)


def provisional_profile(effect: RegisterFarmer) -> Profile:
    """The new farmer as the dialogs see them until the effect is stored and the real id filled in (0 until then)."""
    return Profile(farmer_id=0, name=effect.name, locale=effect.locale, state_id=effect.state_id,
                   district_id=effect.district_id, crops=dict.fromkeys(effect.crops))


def register(ctx: Ctx, _value) -> Go:
    effect = registration(ctx.session.answers, phone=ctx.event.phone, locale=ctx.session.locale,
                          channel=ctx.event.channel)
    ctx.effects.append(effect)
    ctx.session.profile = provisional_profile(effect)
    ctx.session.answers.clear()
    ctx.session.back.clear()
    return Go("main", remember=False)


def crop_choices_all(ctx: Ctx) -> list[Choice]:
    return named_choices(ctx, ctx.services.crops())


SCREENS = [
    Menu("language", title=N_("language.title"), choices=language_choices, action=set_language, target="reg_name"),
    Ask("reg_name", prompt=N_("reg.name.prompt"), store="name", parse=parse_name, target="reg_state",
        recorded_as=N_("voice.farmer"),
        uses=(N_("error.name"),)),
    Menu("reg_state", title=N_("reg.state.title"), choices=state_choices, search=find_state, store="state_id",
         target="reg_district"),
    Menu("reg_district", title=N_("reg.district.title"), choices=district_choices, search=find_district,
         store="district_id", target="reg_crops"),
    Menu("reg_crops", title=N_("reg.crops.title"), choices=crop_choices_all, store="crops", multi=True,
         target="reg_consent"),
    # The notice names where to complain (GRIEVANCE_CONTACT): one setting, not a number in every catalogue.
    Menu("reg_consent", title=CONSENT_NOTICE, title_params=lambda ctx: {"grievance": ctx.services.grievance_contact},
         choices=(Choice(N_("common.yes"), action=register, target="main"),
                  Choice(N_("common.no"), target="reg_declined"))),
    End("reg_declined", body=lambda ctx: [ctx.t(N_("reg.consent.declined"))], uses=(N_("reg.consent.declined"),)),
]
