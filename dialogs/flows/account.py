"""My account: language, crops, district, SMS advisories on or off, and withdrawing consent (erases the data)."""
from __future__ import annotations

from dataclasses import replace

from dialogs.context import Ctx
from dialogs.effects import EraseFarmer, UpdateFarmer
from dialogs.flows.common import back_to, district_choices, find_district, find_state, named_choices, state_choices
from dialogs.flows.registration import language_choices
from dialogs.screens import Choice, End, Go, Info, Menu
from dialogs.texts import N_

WITHDRAW_NOTICE = N_("account.delete.confirm")


def account_choices(ctx: Ctx) -> list[Choice]:
    sms = N_("account.sms_start") if ctx.profile.sms_opted_out else N_("account.sms_stop")
    return [
        Choice(N_("account.language"), target="account_language"),
        Choice(N_("account.crops"), target="account_crops", action=_prefill_crops),
        Choice(N_("account.district"), target="account_state"),
        Choice(sms, target="account_sms"),
        Choice(N_("account.delete"), target="account_delete"),
    ]


def _prefill_crops(ctx: Ctx, _value) -> None:
    ctx.session.answers["crops"] = list(ctx.profile.crops)


def _save(ctx: Ctx, **changes) -> Go:
    profile = ctx.profile
    ctx.effects.append(UpdateFarmer(farmer_id=profile.farmer_id, **changes))
    if "crops" in changes:
        changes["crops"] = {code: profile.crops.get(code) for code in changes["crops"]}
    ctx.session.profile = replace(profile, **changes)
    back_to(ctx, "account")
    return Go("account_saved", remember=False)


def save_language(ctx: Ctx, locale: str) -> Go:
    ctx.session.locale = locale
    return _save(ctx, locale=locale)


def save_crops(ctx: Ctx, crops: list[str]) -> Go:
    return _save(ctx, crops=tuple(crops))


def save_district(ctx: Ctx, district_id: int) -> Go:
    return _save(ctx, state_id=ctx.session.answers["state_id"], district_id=district_id)


def toggle_sms(ctx: Ctx, _value) -> Go:
    return _save(ctx, sms_opted_out=not ctx.profile.sms_opted_out)


def withdrawal(farmer_id: int, channel: str, notice: str = WITHDRAW_NOTICE) -> EraseFarmer:
    """Consent withdrawn after the notice the farmer confirmed: their data goes, the consent record stays."""
    return EraseFarmer(farmer_id=farmer_id, channel=channel, notice=notice)


def erase(ctx: Ctx, _value) -> Go:
    ctx.effects.append(withdrawal(ctx.profile.farmer_id, ctx.event.channel))
    ctx.session.profile = None
    ctx.session.back.clear()
    return Go("account_deleted", remember=False)


SCREENS = [
    Menu("account", title=N_("account.title"), choices=account_choices, uses=(
        N_("account.language"), N_("account.crops"), N_("account.district"), N_("account.sms_start"),
        N_("account.sms_stop"), N_("account.delete"),
    ), exits_also=("account_language", "account_crops", "account_state", "account_sms", "account_delete")),
    Menu("account_language", title=N_("language.title"), choices=language_choices, action=save_language,
         exits_also=("account_saved",)),
    Menu("account_crops", title=N_("reg.crops.title"), choices=lambda ctx: named_choices(ctx, ctx.services.crops()),
         store="crops", multi=True, action=save_crops, exits_also=("account_saved",)),
    Menu("account_state", title=N_("reg.state.title"), choices=state_choices, search=find_state, store="state_id",
         target="account_district"),
    Menu("account_district", title=N_("reg.district.title"), choices=district_choices, search=find_district,
         action=save_district, exits_also=("account_saved",)),
    Menu("account_sms", title=N_("account.sms.confirm"),
         title_params=lambda ctx: {"action": ctx.t(N_("account.sms_start") if ctx.profile.sms_opted_out
                                                   else N_("account.sms_stop"))},
         choices=(Choice(N_("common.yes"), action=toggle_sms, target="account_saved"),
                  Choice(N_("common.no"), target="account"))),
    Menu("account_delete", title=WITHDRAW_NOTICE, choices=(
        Choice(N_("common.yes"), action=erase, target="account_deleted"),
        Choice(N_("common.no"), target="account"),
    )),
    Info("account_saved", body=lambda ctx: [ctx.t(N_("account.saved"))],
         choices=(Choice(N_("main.account"), target="account"),), uses=(N_("account.saved"),)),
    End("account_deleted", body=lambda ctx: [ctx.t(N_("account.deleted"))], uses=(N_("account.deleted"),)),
]
