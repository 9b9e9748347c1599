"""Answering a farmer's SMS: pure, like the dialog engine. `reply(message, sender, chat, services)` returns the new
conversation state, the reply text (None: send nothing) and the effects for the gateway to carry out.

- A farmer who writes in Latin letters gets the answer in Latin letters (hi_Latn, mr_Latn): they read it, and GSM-7
  fits 306 characters in two SMS where Devanagari fits 134. Every reply is cut to two segments.
- An opted-out farmer gets nothing but the answer to STOP, START and DELETE. Only the STOP keyword opts out: a
  question with "band" or "stop" in it is a question.
- Registration by SMS goes in steps (name, district, crops, consent), the step kept in `Chat` between messages.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from dialogs.effects import (
    CreateExpertRequest, Effect, EraseFarmer, RegisterFarmer, StartPayment, UpdateFarmer,
)
from dialogs.flows.advice import STAGES
from dialogs.flows.common import parse_name
from dialogs.flows.weather import hint as weather_hint
from dialogs.model import Profile
from dialogs.screens import Invalid
from dialogs.services import FarmServices, ServiceUnavailable
from dialogs.texts import N_, Texts, texts
from nlu.parser import Parse
from nlu.transliterate import has_devanagari
from workers.sms_encoding import measure

MAX_SEGMENTS = 2
YES = {"yes", "y", "haan", "han", "ha", "ho", "hoy", "haa", "1", "ok", "हाँ", "हां", "हा", "होय", "हो", "ji", "जी"}
NO = {"no", "n", "nahi", "nahin", "nako", "2", "नहीं", "नही", "नाही", "नको"}
NEEDS_REGISTRATION = {"pest_disease", "expert_callback", "subscribe", "payment_status"}
DELETE_WORDS = {"delete", "erase", "delete my data", "mitao", "hatva"}


@dataclass
class Chat:
    """What an SMS conversation remembers between messages (in Redis, keyed by phone, for a day)."""

    step: str | None = None
    data: dict = field(default_factory=dict)
    locale: str | None = None

    def to_dict(self) -> dict:
        return {"s": self.step, "d": self.data, "l": self.locale}

    @classmethod
    def from_dict(cls, raw: dict) -> "Chat":
        return cls(raw.get("s"), dict(raw.get("d") or {}), raw.get("l"))


@dataclass(frozen=True)
class Message:
    phone: str
    text: str
    parse: Parse
    channel: str = "sms"
    message_id: str = ""


@dataclass
class Turn:
    message: Message
    profile: Profile | None
    chat: Chat
    services: FarmServices
    effects: list[Effect] = field(default_factory=list)

    @property
    def locale(self) -> str:
        if self.profile:
            return self.profile.locale
        return self.chat.locale or self.message.parse.language

    @property
    def t(self) -> Texts:
        latin = not has_devanagari(self.message.text)
        return texts(self.locale, latin=latin)

    def say(self, key: str, **params) -> str:
        return fit(self.t(key, **params))


def reply(message: Message, profile: Profile | None, chat: Chat, services: FarmServices
          ) -> tuple[Chat, str | None, list[Effect]]:
    turn = Turn(message, profile, chat, services)
    text = _answer(turn)
    return turn.chat, text, turn.effects


def _answer(turn: Turn) -> str | None:
    parse, profile = turn.message.parse, turn.profile
    word = turn.message.text.strip().casefold().strip(".!")
    if parse.keyword and parse.intent == "opt_out":
        return _stop(turn)
    if word in ("start", "unstop") or (parse.keyword and parse.intent == "register"):
        return _start(turn)
    # Withdrawing consent is as easy as giving it (DPDP Act), also for a farmer who has stopped SMS.
    if word in DELETE_WORDS:
        return _delete(turn)
    if turn.chat.step == "confirm_delete":
        return _confirm_delete(turn)
    if profile and profile.sms_opted_out:
        return None  # they asked us to stop: only STOP, START and DELETE are answered
    if turn.chat.step:
        if parse.keyword and parse.intent in ("help",):
            turn.chat = Chat(locale=turn.chat.locale)
        else:
            return _STEPS[turn.chat.step](turn)
    if not parse.confident:
        return turn.say(N_("sms.not_understood"))
    if parse.intent in NEEDS_REGISTRATION and not profile:
        return turn.say(N_("sms.reg.needed"))
    return _INTENTS[parse.intent](turn)


def fit(text: str, segments: int = MAX_SEGMENTS) -> str:
    """Cut a reply to `segments` SMS at a sentence or word boundary, counted by encoding."""
    if measure(text).segments <= segments:
        return text
    words = text.split(" ")
    while words and measure(" ".join(words) + "...").segments > segments:
        words.pop()
    cut = " ".join(words)
    sentence = max(cut.rfind(". "), cut.rfind("। "))
    return cut[:sentence + 1] if sentence > len(cut) // 2 else cut + "..."


# STOP, START, registration

def _stop(turn: Turn) -> str:
    if turn.profile:
        turn.effects.append(UpdateFarmer(farmer_id=turn.profile.farmer_id, sms_opted_out=True))
    turn.chat = Chat(locale=turn.chat.locale)
    return turn.say(N_("sms.stopped"))


def _optout_hint(turn: Turn) -> str:
    """The model read "stop" or "band" ("mandi band hai", "stop the bollworm"): only the STOP keyword opts out."""
    return turn.say(N_("sms.optout_hint"))


def _start(turn: Turn) -> str:
    profile = turn.profile
    if profile and profile.sms_opted_out:
        turn.effects.append(UpdateFarmer(farmer_id=profile.farmer_id, sms_opted_out=False))
        return turn.say(N_("sms.restarted"))
    if profile:
        return turn.say(N_("sms.already_registered"), name=_first(profile.name))
    # A bare keyword says nothing of the sender's language: the service's default until they write more.
    locale = turn.chat.locale or (turn.services.default_locale if turn.message.parse.keyword else turn.locale)
    turn.chat = Chat(step="reg_name", locale=locale)
    return turn.say(N_("sms.reg.name"))


def _delete(turn: Turn) -> str:
    if not turn.profile:
        turn.chat = Chat(locale=turn.chat.locale)
        return turn.say(N_("sms.deleted"))  # nothing is kept about them
    turn.chat = Chat(step="confirm_delete", locale=turn.chat.locale)
    return turn.say(N_("sms.delete.confirm"))


def _confirm_delete(turn: Turn) -> str | None:
    turn.chat = Chat(locale=turn.chat.locale)
    if turn.message.text.strip().casefold().strip(".!") not in YES or not turn.profile:
        return _answer(turn)
    text = turn.say(N_("sms.deleted"))  # in their language, before the profile goes
    turn.effects.append(EraseFarmer(farmer_id=turn.profile.farmer_id, channel=turn.message.channel,
                                    notice=N_("sms.delete.confirm")))
    return text


def _register(turn: Turn) -> str:
    if turn.profile:
        return turn.say(N_("sms.already_registered"), name=_first(turn.profile.name))
    return _start(turn)


def _reg_name(turn: Turn) -> str:
    try:
        name = parse_name(None, turn.message.text)
    except Invalid:
        return turn.say(N_("sms.reg.name"))
    turn.chat = Chat(step="reg_district", data={"name": name}, locale=turn.chat.locale)
    return turn.say(N_("sms.reg.district"), name=_first(name))


def _reg_district(turn: Turn) -> str:
    data, text = turn.chat.data, turn.message.text.strip()
    options = data.get("options")
    if options and text.isdigit() and 1 <= int(text) <= len(options):
        state_id, district_id = options[int(text) - 1][1:]
    else:
        found = turn.services.find_districts_anywhere(text)
        if not found:
            return turn.say(N_("sms.reg.district_again"))
        if len(found) > 1:
            data["options"] = [(label, state_id, key) for label, state_id, key in found[:5]]
            choices = ", ".join(f"{n} {label}" for n, (label, _, _) in enumerate(data["options"], 1))
            return turn.say(N_("sms.reg.district_pick"), choices=choices)
        _, state_id, district_id = found[0]
    turn.chat = Chat(step="reg_crops", data={"name": data["name"], "state_id": state_id,
                                             "district_id": district_id}, locale=turn.chat.locale)
    return turn.say(N_("sms.reg.crops"))


def _reg_crops(turn: Turn) -> str:
    crops = turn.services.crops_in(turn.message.text)
    if not crops:
        return turn.say(N_("sms.reg.crops_again"))
    turn.chat.data["crops"] = crops
    turn.chat.step = "reg_consent"
    return turn.say(N_("sms.reg.consent"))


def _reg_consent(turn: Turn) -> str:
    answer = turn.message.text.strip().casefold().strip(".!")
    data = turn.chat.data
    if answer in YES:
        turn.effects.append(RegisterFarmer(
            phone=turn.message.phone, name=data["name"], locale=turn.locale, state_id=data["state_id"],
            district_id=data["district_id"], crops=tuple(data["crops"]), channel=turn.message.channel,
            consent_notice=N_("sms.reg.consent")))
        text = turn.say(N_("sms.reg.done"), name=_first(data["name"]))  # still in the registration's language
        turn.chat = Chat()
        return text
    if answer in NO:
        text = turn.say(N_("sms.reg.declined"))
        turn.chat = Chat()
        return text
    return turn.say(N_("sms.reg.consent"))


# Questions

def _weather(turn: Turn) -> str:
    district = _district(turn)
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


def _price(turn: Turn) -> str:
    crop = _crop(turn)
    if crop is None:
        return turn.say(N_("sms.price.which"))
    district = _district(turn)
    prices = turn.services.prices(crop.key, district.key if district else None, limit=2)
    t, name = turn.t, crop.label(turn.locale, turn.t.latin)
    if not prices:
        return turn.say(N_("sms.price.none"), crop=name)
    lines = "; ".join(t(N_("sms.price.line"), mandi=p.mandi.label(turn.locale, t.latin), modal=t.money(p.modal_price),
                        low=t.number(p.min_price), high=t.number(p.max_price)) for p in prices)
    return turn.say(N_("sms.price"), crop=name, date=t.date(max(p.price_date for p in prices)), lines=lines)


def _advice(turn: Turn) -> str:
    crop = _crop(turn)
    if crop is None:
        return turn.say(N_("sms.advice.which"))
    sown = turn.profile.sown_on(crop.key) if turn.profile else None
    stage = turn.services.crop_stage(crop.key, sown) if sown else None
    if stage is None:
        turn.chat = Chat(step="advice_stage", data={"crop": crop.key}, locale=turn.chat.locale)
        choices = ", ".join(f"{n} {turn.t(STAGES[s])}" for n, s in enumerate(crop.stages, 1))
        return turn.say(N_("sms.advice.stage"), crop=crop.label(turn.locale, turn.t.latin), choices=choices)
    return _advice_for(turn, crop, stage)


def _advice_stage(turn: Turn) -> str:
    crop = next(c for c in turn.services.crops() if c.key == turn.chat.data["crop"])
    text = turn.message.text.strip()
    turn.chat = Chat(locale=turn.chat.locale)
    if text.isdigit() and 1 <= int(text) <= len(crop.stages):
        return _advice_for(turn, crop, crop.stages[int(text) - 1])
    return _answer(turn)  # not a stage number: a new question


def _advice_for(turn: Turn, crop, stage: str) -> str:
    t = turn.t
    state_id = turn.profile.state_id if turn.profile else None
    advisory = turn.services.advisory(crop.key, stage, state_id)
    name = crop.label(turn.locale, t.latin)
    if not advisory:
        return turn.say(N_("sms.advice.none"), crop=name)
    return turn.say(N_("sms.advice"), crop=name, stage=t(STAGES[stage]),
                    text=advisory.get(t.catalogue) or advisory.get(turn.locale) or advisory["en"])


def _pest(turn: Turn) -> str:
    crop = _crop(turn)
    ticket = turn.services.new_ticket()
    turn.effects.append(CreateExpertRequest(ticket=ticket, farmer_id=turn.profile.farmer_id, kind="pest_report",
                                            channel=turn.message.channel, crop=crop.key if crop else None,
                                            description=turn.message.text[:500]))
    if crop:
        return turn.say(N_("sms.pest"), ticket=ticket, crop=crop.label(turn.locale, turn.t.latin))
    return turn.say(N_("sms.pest.no_crop"), ticket=ticket)


def _callback(turn: Turn) -> str:
    ticket = turn.services.new_ticket()
    turn.effects.append(CreateExpertRequest(ticket=ticket, farmer_id=turn.profile.farmer_id, kind="callback",
                                            channel=turn.message.channel, description=turn.message.text[:500]))
    return turn.say(N_("sms.callback"), ticket=ticket)


def _language(turn: Turn) -> str:
    wanted = turn.message.parse.entities.get("language")
    if wanted not in ("en", "hi", "mr"):
        return turn.say(N_("sms.language.which"))
    if turn.profile:
        turn.effects.append(UpdateFarmer(farmer_id=turn.profile.farmer_id, locale=wanted))
        turn.profile = replace(turn.profile, locale=wanted)
    turn.chat.locale = wanted
    return turn.say(N_("sms.language"))


def _payment(turn: Turn) -> str:
    latest = turn.services.latest_payment(turn.profile.farmer_id)
    if latest is None:
        return turn.say(N_("sms.payment.none"))
    amount_minor, plan, status = latest
    t = turn.t
    words = {"pending": N_("sms.payment.pending"), "paid": N_("sms.payment.paid")}.get(status, N_("sms.payment.failed"))
    return turn.say(N_("sms.payment.status"), amount=t.money(amount_minor // 100), plan=plan.label(turn.locale, t.latin),
                    status=t(words))


def _subscribe(turn: Turn) -> str:
    plans = turn.services.plans()
    t = turn.t
    turn.chat = Chat(step="plan_choice", locale=turn.chat.locale)
    choices = ", ".join(f"{n} {p.label(turn.locale, t.latin)} {t.money(p.price_minor // 100)}"
                        for n, p in enumerate(plans, 1))
    return turn.say(N_("sms.subscribe.choose"), choices=choices)


def _plan_choice(turn: Turn) -> str:
    plans, text = turn.services.plans(), turn.message.text.strip()
    turn.chat = Chat(locale=turn.chat.locale)
    if not (text.isdigit() and 1 <= int(text) <= len(plans)):
        return _answer(turn)  # not a plan number: a new question
    plan, farmer_id = plans[int(text) - 1], turn.profile.farmer_id
    turn.effects.append(StartPayment(farmer_id=farmer_id, plan_code=plan.key, channel=turn.message.channel,
                                     idempotency_key=f"subscribe:{farmer_id}:{plan.key}:"
                                                     f"{turn.services.today():%Y-%m-%d}"))
    return turn.say(N_("sms.subscribe.done"), plan=plan.label(turn.locale, turn.t.latin),
                    price=turn.t.money(plan.price_minor // 100))


def _help(turn: Turn) -> str:
    return turn.say(N_("sms.help"))


# Where the answer needs a crop or a place the message did not name, the farmer's own is used.

def _crop(turn: Turn):
    code = turn.message.parse.entities.get("crop") or (next(iter(turn.profile.crops), None) if turn.profile else None)
    return next((c for c in turn.services.crops() if c.key == code), None) if code else None


def _district(turn: Turn):
    name = turn.message.parse.entities.get("location")
    if name:
        state_id = turn.profile.state_id if turn.profile else None
        return turn.services.district_named(name, prefer_state=state_id, text=turn.message.text)
    if turn.profile and turn.profile.district_id:
        return turn.services.district(turn.profile.district_id)
    return None


def _first(name: str) -> str:
    return re.split(r"\s+", name.strip())[0] if name.strip() else name


_STEPS = {"reg_name": _reg_name, "reg_district": _reg_district, "reg_crops": _reg_crops,
          "reg_consent": _reg_consent, "advice_stage": _advice_stage, "plan_choice": _plan_choice}
_INTENTS = {"weather": _weather, "market_price": _price, "crop_advisory": _advice, "pest_disease": _pest,
            "register": _register, "subscribe": _subscribe, "opt_out": _optout_hint, "help": _help,
            "expert_callback": _callback, "change_language": _language, "payment_status": _payment}
