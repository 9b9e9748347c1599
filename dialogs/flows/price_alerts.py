"""Price alerts: "SMS me when onion at Lasalgaon goes above ₹2,500". On USSD, from a crop's price screen: pick a
mandi shown there (or the nearest three), type the price, and hear till when the alert lasts; "My price alerts"
lists them to cancel one. SMS sets, lists and cancels them by keyword (dialogs/sms/alerts.py); after each price
import the workers check them and send one SMS per crossing (service/prices/alerts.py).

Whether the farmer waits for a rise or a fall follows from the price they type: above today's price it is a rise,
below it a fall (said back to them, so a slip is seen at once)."""
from __future__ import annotations

from datetime import timedelta

from dialogs.context import Ctx
from dialogs.effects import CancelPriceAlerts, SetPriceAlert
from dialogs.flows.common import back_to, crop_name, label
from dialogs.flows.prices import dated, in_reach
from dialogs.model import Profile
from dialogs.screens import Ask, Choice, Go, Info, Invalid, Menu
from dialogs.services import FarmServices, MandiPrice, Named, PriceAlertInfo
from dialogs.texts import N_, Phrase, Texts
from nlu.alert_words import read_amount

MAX_ALERTS = 5  # active ones per farmer: a few crops and mandis, and a cap on what one number can set up
ALERT_DAYS = 90  # about a season; the farmer sets it again for the next one
NEAREST = 0  # the mandi choice "the nearest three mandis"
SAVED = {"above": N_("alert.saved.above"), "below": N_("alert.saved.below")}
LINES = {"above": N_("alert.line.above"), "below": N_("alert.line.below")}


def direction_for(amount: int, now: int | None, asked: str | None = None) -> str:
    """What the farmer waits for: what they said, else a rise when the amount is above today's price (or there is
    none yet: farmers wait for a price to sell at), a fall when below."""
    if asked:
        return asked
    return "above" if now is None or amount > now else "below"


def unlikely(amount: int, now: int | None) -> bool:
    """Ten times off today's price: a price a kilo ("onion 25"), or a zero too many. Asked again, not saved."""
    return now is not None and not now / 10 <= amount <= now * 10


def new_alert(services: FarmServices, profile: Profile, crop: str, mandi_id: int | None, district_id: int | None,
              amount: int, now: int | None, watched: list[int], channel: str, asked: str | None = None
              ) -> SetPriceAlert:
    """The alert to set. `now` is the price the farmer was shown (it decides rise or fall); `watched` the prices the
    check will look at (the mandi's, or the nearest three's), so that one already past its amount (the farmer asked
    "above 2,000" with a mandi at 2,100) waits for the price to come back and cross again, as the check would."""
    direction = direction_for(amount, now, asked)
    pick = max if direction == "above" else min
    past = bool(watched) and (pick(watched) >= amount if direction == "above" else pick(watched) <= amount)
    return SetPriceAlert(farmer_id=profile.farmer_id, crop=crop, mandi_id=mandi_id,
                         district_id=None if mandi_id else district_id, direction=direction, amount=amount,
                         channel=channel, expires_on=ends_on(services), armed=not past)


def place_label(t: Texts, locale: str, mandi: Named | None, district: Named | None = None,
                home: int | None = None) -> str:
    """Where the alert looks: the mandi; or the nearest three, to the farmer's own district ("Nearest 3 mandis") or
    to the district they named ("Latur")."""
    if mandi:
        return mandi.label(locale, t.latin)
    if district and district.key != home:
        return district.label(locale, t.latin)
    return t(N_("alert.nearest"))


def alert_line(t: Texts, locale: str, services: FarmServices, alert: PriceAlertInfo, home: int | None) -> Phrase:
    """'Onion above Rs 2,500, Lasalgaon': one alert in a list."""
    crop = next((c for c in services.crops() if c.key == alert.crop), None)
    return t(LINES[alert.direction], crop=crop.label(locale, t.latin) if crop else alert.crop,
             amount=t.money(alert.amount), place=place_label(t, locale, alert.mandi, alert.district, home))


def ends_on(services: FarmServices):
    return services.today() + timedelta(days=ALERT_DAYS)


# USSD

def _shown(ctx: Ctx) -> list[MandiPrice]:
    """The mandis the price screen showed: those in reach, else the nearest one that has a price."""
    district_id = ctx.profile.district_id if ctx.profile else None
    near, far = in_reach(ctx.services.prices(ctx.session.answers["crop"], district_id, limit=3))
    return near or ([far] if far else [])


def mandi_choices(ctx: Ctx) -> list[Choice]:
    mandis = [Choice(label(ctx, p.mandi), p.mandi.key, translate=False) for p in _shown(ctx)]
    return [*mandis, Choice(N_("alert.nearest"), NEAREST)]


def check_room(ctx: Ctx, _mandi) -> Go | None:
    if len(ctx.services.price_alerts(ctx.profile.farmer_id)) >= MAX_ALERTS:
        return Go("alerts_full")
    return None


def _now(ctx: Ctx) -> MandiPrice | None:
    """Today's price where the alert will look: the chosen mandi's, or the nearest one's."""
    shown, mandi = _shown(ctx), ctx.session.answers["alert_mandi"]
    return next((p for p in shown if p.mandi.key == mandi), None) if mandi != NEAREST else (shown or [None])[0]


def _chosen_place(ctx: Ctx) -> str:
    mandi = ctx.session.answers["alert_mandi"]
    shown = next((p.mandi for p in _shown(ctx) if p.mandi.key == mandi), None) if mandi != NEAREST else None
    return place_label(ctx.t, ctx.session.locale, shown)


def amount_prompt(ctx: Ctx) -> dict:
    t, now = ctx.t, _now(ctx)
    price = dated(t, ctx.services, now, label(ctx, now.mandi), N_("alert.now"), N_("alert.now.old")) if now else \
        t(N_("alert.now.none"))
    return {"crop": crop_name(ctx, ctx.session.answers["crop"]), "place": _chosen_place(ctx), "now": price}


def parse_amount(ctx: Ctx, text: str) -> int:
    amount, now = read_amount(text), _now(ctx)
    if amount is None or unlikely(amount, now.modal_price if now else None):
        raise Invalid(N_("error.alert.amount"))
    return amount


def save(ctx: Ctx, amount: int) -> Go:
    answers, now = ctx.session.answers, _now(ctx)
    mandi = answers["alert_mandi"]
    if mandi != NEAREST:
        watched = [now.modal_price] if now else []
    else:  # the nearest three in reach, as service.prices.alerts watches them
        district_id = ctx.profile.district_id
        watched = [p.modal_price for p in in_reach(ctx.services.prices(answers["crop"], district_id, limit=3))[0]]
    alert = new_alert(ctx.services, ctx.profile, answers["crop"], mandi or None, ctx.profile.district_id, amount,
                      now.modal_price if now else None, watched, ctx.event.channel)
    ctx.effects.append(alert)
    answers.update(alert_direction=alert.direction, alert_place=_chosen_place(ctx))
    back_to(ctx, "alert_mandi")  # "0 Back" returns to the prices, not into the finished form
    return Go("alert_saved", remember=False)


def saved_lines(ctx: Ctx) -> list[str]:
    t, answers = ctx.t, ctx.session.answers
    return [t(SAVED[answers["alert_direction"]], crop=crop_name(ctx, answers["crop"]), place=answers["alert_place"],
              amount=t.money(answers["alert_amount"]), date=t.date(ends_on(ctx.services)))]


def alert_choices(ctx: Ctx) -> list[Choice]:
    return [Choice(alert_line(ctx.t, ctx.session.locale, ctx.services, a, ctx.profile.district_id), a.id,
                   translate=False)
            for a in ctx.services.price_alerts(ctx.profile.farmer_id)]


def _picked(ctx: Ctx) -> PriceAlertInfo | None:
    wanted = ctx.session.answers.get("alert_id")
    return next((a for a in ctx.services.price_alerts(ctx.profile.farmer_id) if a.id == wanted), None)


def cancel_params(ctx: Ctx) -> dict:
    alert = _picked(ctx)
    line = alert_line(ctx.t, ctx.session.locale, ctx.services, alert, ctx.profile.district_id) if alert else ""
    return {"alert": line}


def cancel(ctx: Ctx, _value) -> Go:
    ctx.effects.append(CancelPriceAlerts(ctx.profile.farmer_id, (ctx.session.answers["alert_id"],)))
    return Go("alert_cancelled", remember=False)


MY_ALERTS = Choice(N_("prices.alert.mine"), target="alerts")

SCREENS = [
    Menu("alert_mandi", title=N_("alert.mandi.title"), choices=mandi_choices, store="alert_mandi",
         action=check_room, target="alert_amount", exits_also=("alerts_full",), uses=(N_("alert.nearest"),)),
    Ask("alert_amount", prompt=N_("alert.amount.prompt"), prompt_params=amount_prompt, parse=parse_amount,
        store="alert_amount", action=save, target="alert_saved",
        uses=(N_("alert.now"), N_("alert.now.old"), N_("alert.now.none"), N_("error.alert.amount"))),
    Info("alert_saved", body=saved_lines, choices=(MY_ALERTS,), uses=tuple(SAVED.values())),
    Info("alerts_full", body=lambda ctx: [ctx.t(N_("alerts.full"), count=MAX_ALERTS)], choices=(MY_ALERTS,),
         uses=(N_("alerts.full"),)),
    Menu("alerts", title=N_("alerts.title"), empty=N_("alerts.none"), choices=alert_choices, store="alert_id",
         target="alert_cancel", uses=tuple(LINES.values())),
    Menu("alert_cancel", title=N_("alert.cancel.confirm"), title_params=cancel_params, choices=(
        Choice(N_("common.yes"), action=cancel, target="alert_cancelled"),
        Choice(N_("common.no"), target="alerts"),
    )),
    Info("alert_cancelled", body=lambda ctx: [ctx.t(N_("alert.cancelled"))], choices=(MY_ALERTS,),
         uses=(N_("alert.cancelled"),)),
]
