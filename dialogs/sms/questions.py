"""Questions answered in one reply: the weather, a crop's prices, advice for its stage, a payment's status, a language
change. What the message does not name (a crop, a place) is the farmer's own. Advice whose stage we cannot tell
asks for it: the one multi-step question."""
from __future__ import annotations

from dataclasses import replace

from dialogs.effects import UpdateFarmer
from dialogs.encoding import measure
from dialogs.flows.advice import STAGES, advisory_for, stage_of
from dialogs.flows.prices import dated, in_reach
from dialogs.flows.weather import hint as weather_hint
from dialogs.services import CropInfo, Named, ServiceUnavailable
from dialogs.sms.turn import MAX_SEGMENTS, Chat, NotAnAnswer, Turn, number_among
from dialogs.texts import N_
from locales.languages import CODES

PRICE_MANDIS = 2  # as many as fit two SMS with their dates


def weather(turn: Turn) -> str:
    district = named_district(turn)
    if district is None:
        return turn.say(N_("sms.weather.which"))
    try:
        days = turn.services.forecast(district.key, days=3)
    except ServiceUnavailable:
        days = []
    if len(days) < 3:
        return turn.say(N_("sms.weather.unavailable"))
    t = turn.t
    return turn.say(N_("sms.weather"), district=district.label(turn.locale, t.latin),
                    **{f"rain{n}": round(d.rain_mm) for n, d in enumerate(days)},
                    **{f"tmin{n}": round(d.temp_min_c) for n, d in enumerate(days)},
                    **{f"tmax{n}": round(d.temp_max_c) for n, d in enumerate(days)},
                    hint=t(weather_hint(days[0], days[1])))


def price(turn: Turn) -> str:
    """Each mandi's price with its date (an SMS is read later: never "today"), the old ones said to be old; a mandi
    whose price would not fit the reply is left out rather than cut."""
    crop = named_crop(turn)
    if crop is None:
        return turn.say(N_("sms.price.which"))
    district = named_district(turn)
    near, far = in_reach(turn.services.prices(crop.key, district.key if district else None, limit=PRICE_MANDIS))
    t, name = turn.t, crop.label(turn.locale, turn.t.latin)

    def line(p):
        return dated(t, turn.services, p, p.mandi.label(turn.locale, t.latin), N_("sms.price.line"),
                     N_("sms.price.line.old"), say_today=False)
    if far:
        return turn.say(N_("sms.price.far"), crop=name, line=line(far))
    if not near:
        return turn.say(N_("sms.price.none"), crop=name)
    lines = [line(near[0])]
    for p in near[1:]:
        if measure(t(N_("sms.price"), crop=name, lines="; ".join([*lines, line(p)]))).segments > MAX_SEGMENTS:
            break
        lines.append(line(p))
    return turn.say(N_("sms.price"), crop=name, lines="; ".join(lines))


def advice(turn: Turn) -> str:
    crop = named_crop(turn)
    if crop is None:
        return turn.say(N_("sms.advice.which"))
    stage = stage_of(turn.services, turn.profile, crop.key)
    if stage is None:
        turn.chat = Chat(step="advice_stage", data={"crop": crop.key}, locale=turn.chat.locale)
        choices = ", ".join(f"{n} {turn.t(STAGES[s])}" for n, s in enumerate(crop.stages, 1))
        return turn.say(N_("sms.advice.stage"), crop=crop.label(turn.locale, turn.t.latin), choices=choices)
    return _advice_at(turn, crop, stage)


def advice_stage(turn: Turn) -> str:
    """The answer to "which stage is your crop at?": its number, or else a new question."""
    crop = next(c for c in turn.services.crops() if c.key == turn.chat.data["crop"])
    turn.forget_step()
    picked = number_among(turn.message.text, len(crop.stages))
    if picked is None:
        raise NotAnAnswer
    return _advice_at(turn, crop, crop.stages[picked])


def _advice_at(turn: Turn, crop: CropInfo, stage: str) -> str:
    t = turn.t
    advisory = advisory_for(turn.services, turn.profile, crop.key, stage)
    name = crop.label(turn.locale, t.latin)
    if not advisory:
        return turn.say(N_("sms.advice.none"), crop=name)
    # An SMS shows Devanagari even to a farmer who writes in Latin letters: the language's own text before English.
    return turn.say(N_("sms.advice"), crop=name, stage=t(STAGES[stage]),
                    text=advisory.get(t.catalogue) or advisory.get(turn.locale) or advisory["en"])


def language(turn: Turn) -> str:
    wanted = turn.message.parse.entities.get("language")
    if wanted not in CODES:
        return turn.say(N_("sms.language.which"))
    if turn.profile:
        turn.effects.append(UpdateFarmer(farmer_id=turn.profile.farmer_id, locale=wanted))
        turn.profile = replace(turn.profile, locale=wanted)
    turn.chat.locale = wanted
    return turn.say(N_("sms.language"))


def payment(turn: Turn) -> str:
    latest = turn.services.latest_payment(turn.profile.farmer_id)
    if latest is None:
        return turn.say(N_("sms.payment.none"))
    amount_minor, plan, status = latest
    t = turn.t
    words = {"pending": N_("sms.payment.pending"), "paid": N_("sms.payment.paid")}.get(status, N_("sms.payment.failed"))
    return turn.say(N_("sms.payment.status"), amount=t.money(amount_minor // 100),
                    plan=plan.label(turn.locale, t.latin), status=t(words))


# Where the answer needs a crop or a place the message did not name, the farmer's own is used.

def named_crop(turn: Turn) -> CropInfo | None:
    profile = turn.profile
    code = turn.message.parse.entities.get("crop") or (next(iter(profile.crops), None) if profile else None)
    return next((c for c in turn.services.crops() if c.key == code), None) if code else None


def named_district(turn: Turn) -> Named | None:
    name = turn.message.parse.entities.get("location")
    if name:
        state_id = turn.profile.state_id if turn.profile else None
        return turn.services.district_named(name, prefer_state=state_id, text=turn.message.text)
    if turn.profile and turn.profile.district_id:
        return turn.services.district(turn.profile.district_id)
    return None


STEPS = {"advice_stage": advice_stage}
