"""Registering by SMS, in steps kept in the conversation between messages: name, district (written, not picked from
a list), crops (named in one message), then the consent notice. The farmer is made as on every channel
(flows.registration.registration): nothing is stored about them until they say yes."""
from __future__ import annotations

from dialogs.flows.common import parse_name
from dialogs.flows.registration import registration
from dialogs.screens import Invalid
from dialogs.sms.turn import NO, YES, Chat, Turn, first_name, number_among
from dialogs.texts import N_

PICK_AMONG = 5  # districts offered when a name fits several
# The consent notice is said whole (what is kept, who sees it, how to withdraw, where to complain), never cut to the
# two SMS of a reply: in Devanagari it takes four.
CONSENT_SEGMENTS = 4


def begin(turn: Turn) -> str:
    # A bare keyword ("START") says nothing of the sender's language: the service's default until they write more.
    locale = turn.chat.locale or (turn.services.default_locale if turn.message.parse.keyword else turn.locale)
    turn.chat = Chat(step="reg_name", locale=locale)
    return turn.say(N_("sms.reg.name"))


def register(turn: Turn) -> str:
    """The farmer asked to register ("register", "naam likhao")."""
    if turn.profile:
        return turn.say(N_("sms.already_registered"), name=first_name(turn.profile.name))
    return begin(turn)


def name(turn: Turn) -> str:
    try:
        given = parse_name(None, turn.message.text)
    except Invalid:
        return turn.say(N_("sms.reg.name"))
    turn.chat = Chat(step="reg_district", data={"name": given}, locale=turn.chat.locale)
    return turn.say(N_("sms.reg.district"), name=first_name(given))


def district(turn: Turn) -> str:
    data, text = turn.chat.data, turn.message.text.strip()
    options = data.get("options")
    picked = number_among(text, len(options)) if options else None
    if picked is not None:
        state_id, district_id = options[picked][1:]
    else:
        found = turn.services.find_districts_anywhere(text)
        if not found:
            return turn.say(N_("sms.reg.district_again"))
        if len(found) > 1:
            data["options"] = [(label, state_id, key) for label, state_id, key in found[:PICK_AMONG]]
            choices = ", ".join(f"{n} {label}" for n, (label, _, _) in enumerate(data["options"], 1))
            return turn.say(N_("sms.reg.district_pick"), choices=choices)
        _, state_id, district_id = found[0]
    turn.chat = Chat(step="reg_crops", data={"name": data["name"], "state_id": state_id,
                                             "district_id": district_id}, locale=turn.chat.locale)
    return turn.say(N_("sms.reg.crops"))


def crops(turn: Turn) -> str:
    named = turn.services.crops_in(turn.message.text)
    if not named:
        return turn.say(N_("sms.reg.crops_again"))
    turn.chat.data["crops"] = named
    turn.chat.step = "reg_consent"
    return consent_notice(turn)


def consent_notice(turn: Turn) -> str:
    return turn.say(N_("sms.reg.consent"), segments=CONSENT_SEGMENTS, grievance=turn.services.grievance_contact)


def consent(turn: Turn) -> str:
    if turn.word in YES:
        data = turn.chat.data
        turn.effects.append(registration(data, phone=turn.message.phone, locale=turn.locale,
                                         channel=turn.message.channel, notice=N_("sms.reg.consent")))
        text = turn.say(N_("sms.reg.done"), name=first_name(data["name"]))  # still in the registration's language
        turn.chat = Chat()
        return text
    if turn.word in NO:
        text = turn.say(N_("sms.reg.declined"))
        turn.chat = Chat()
        return text
    return consent_notice(turn)


STEPS = {"reg_name": name, "reg_district": district, "reg_crops": crops, "reg_consent": consent}
