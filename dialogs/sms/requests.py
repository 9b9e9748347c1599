"""Asking for something by SMS: a pest report or an expert's call-back (a ticket, as on every channel: flows.pest
and flows.expert), or a plan to subscribe to (chosen by its number in the next message; the payment link follows by
SMS, as flows.subscribe starts it on every channel)."""
from __future__ import annotations

from dialogs.flows.expert import expert_request
from dialogs.flows.pest import pest_report
from dialogs.flows.subscribe import subscription
from dialogs.sms.questions import named_crop
from dialogs.sms.turn import Chat, NotAnAnswer, Turn, number_among
from dialogs.texts import N_

DESCRIPTION_CHARS = 500  # what an expert needs to read; a longer message is kept whole in the inbox


def pest(turn: Turn) -> str:
    crop = named_crop(turn)
    request = pest_report(turn.services, farmer_id=turn.profile.farmer_id, channel=turn.message.channel,
                          crop=crop.key if crop else None, description=turn.message.text[:DESCRIPTION_CHARS])
    turn.effects.append(request)
    if crop:
        return turn.say(N_("sms.pest"), ticket=request.ticket, crop=crop.label(turn.locale, turn.t.latin))
    return turn.say(N_("sms.pest.no_crop"), ticket=request.ticket)


def callback(turn: Turn) -> str:
    request = expert_request(turn.services, farmer_id=turn.profile.farmer_id, channel=turn.message.channel,
                             description=turn.message.text[:DESCRIPTION_CHARS])
    turn.effects.append(request)
    return turn.say(N_("sms.callback"), ticket=request.ticket)


def subscribe(turn: Turn) -> str:
    plans, t = turn.services.plans(), turn.t
    turn.chat = Chat(step="plan_choice", locale=turn.chat.locale)
    choices = ", ".join(f"{n} {p.label(turn.locale, t.latin)} {t.money(p.price_minor // 100)}"
                        for n, p in enumerate(plans, 1))
    return turn.say(N_("sms.subscribe.choose"), choices=choices)


def plan_choice(turn: Turn) -> str:
    """The answer to "which plan?": its number, or else a new question."""
    plans = turn.services.plans()
    turn.forget_step()
    picked = number_among(turn.message.text, len(plans))
    if picked is None:
        raise NotAnAnswer
    plan = plans[picked]
    turn.effects.append(subscription(farmer_id=turn.profile.farmer_id, plan=plan.key, channel=turn.message.channel,
                                     day=turn.services.today()))
    return turn.say(N_("sms.subscribe.done"), plan=plan.label(turn.locale, turn.t.latin),
                    price=turn.t.money(plan.price_minor // 100))


STEPS = {"plan_choice": plan_choice}
