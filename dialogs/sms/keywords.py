"""What SMS has of its own: the keywords. STOP stops every SMS, START brings them back (or begins a registration),
DELETE withdraws consent (DPDP Act: as easy as giving it), HELP says what to ask. An opted-out farmer gets nothing
but the answers to these. Only the STOP keyword opts out: a question with "band" or "stop" in it is a question."""
from __future__ import annotations

from dialogs.effects import ForgetNumber, UpdateFarmer
from dialogs.flows.account import withdrawal
from dialogs.sms.registration import begin
from dialogs.sms.turn import YES, Chat, NotAnAnswer, Turn, first_name
from dialogs.texts import N_

START_WORDS = {"start", "unstop"}
DELETE_WORDS = {"delete", "erase", "delete my data", "mitao", "hatva"}


def stop(turn: Turn) -> str:
    if turn.profile:
        turn.effects.append(UpdateFarmer(farmer_id=turn.profile.farmer_id, sms_opted_out=True))
    turn.forget_step()
    return turn.say(N_("sms.stopped"))


def optout_hint(turn: Turn) -> str:
    """The model read "stop" or "band" ("mandi band hai", "stop the bollworm"): only the STOP keyword opts out."""
    return turn.say(N_("sms.optout_hint"))


def start(turn: Turn) -> str:
    profile = turn.profile
    if profile and profile.sms_opted_out:
        turn.effects.append(UpdateFarmer(farmer_id=profile.farmer_id, sms_opted_out=False))
        return turn.say(N_("sms.restarted"))
    if profile:
        return turn.say(N_("sms.already_registered"), name=first_name(profile.name))
    return begin(turn)


def delete(turn: Turn) -> str:
    if not turn.profile:
        turn.forget_step()
        turn.effects.append(ForgetNumber(turn.message.phone, turn.message.channel))
        return turn.say(N_("sms.deleted"))  # and nothing is kept about them
    turn.chat = Chat(step="confirm_delete", locale=turn.chat.locale)
    return turn.say(N_("sms.delete.confirm"))


def confirm_delete(turn: Turn) -> str:
    turn.forget_step()
    if turn.word not in YES or not turn.profile:
        raise NotAnAnswer
    text = turn.say(N_("sms.deleted"))  # in their language, before the profile goes
    turn.effects.append(withdrawal(turn.profile.farmer_id, turn.message.channel, notice=N_("sms.delete.confirm")))
    return text


def help_(turn: Turn) -> str:
    return turn.say(N_("sms.help"))


STEPS = {"confirm_delete": confirm_delete}
