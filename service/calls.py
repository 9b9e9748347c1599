"""A voice call, whichever provider carries it: one turn per webhook.

The provider modules (gateway/twilio/voice.py, gateway/africastalking/voice.py) parse their form into a `Heard`
(what the caller did) and write the `Turn` returned here as their XML; the call's row is service.call_log's. In
between: the call's state in Redis (one key per call id, under a lock, as USSD sessions are), keys pressed mapped
back to the dialogs' input, speech understood (a number, an option's name, or at the main menu what the farmer
wants, through the SMS reader), one re-prompt after silence and then a polite goodbye.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass

from dialogs.model import Event, Reply, Session
from dialogs.screens import Menu
from dialogs.store import Stored
from dialogs.texts import N_, Texts, texts
from dialogs.voice import Prompt, render
from locales.languages import LANGUAGES
from nlu.transliterate import phonetic_key
from service import session_log
from service.conversations import Conversations

log = logging.getLogger(__name__)

SILENCES_ALLOWED = 1  # one re-prompt, then goodbye
SPEECH_FLOOR = 0.45  # below this, what was heard is not trusted: the caller is asked to use the keypad

# Numbers said instead of pressed, in every language (a caller may say "do" on an English menu) and as speech
# recognition often writes them.
NUMBER_WORDS = {word.casefold(): digit for language in LANGUAGES
                for digit, words in language.digits_said.items() for word in words}


@dataclass(frozen=True)
class Heard:
    """What the caller did since the last turn."""
    kind: str  # start | keys | speech | recording | silence
    value: str = ""  # the keys pressed, what was said, or the recording's URL
    confidence: float = 1.0


@dataclass(frozen=True)
class Turn:
    prompt: Prompt
    locale: str
    screen: str

    @property
    def ended(self) -> bool:
        return self.prompt.hangup


def take_turn(conversations: Conversations, call_id: str, phone: str, heard: Heard, *, callback: bool = False) -> Turn:
    """Advance the call by what was heard; the state is written back as the lock goes."""
    with conversations.voice_calls.hop(call_id) as hop:
        stored = hop.stored
        if stored is None or heard.kind == "start":
            session, reply = conversations.step(None, Event("start", phone, "voice", latin=False),
                                                conversations.voice_services)
            greeting = N_("voice.callback") if callback else N_("voice.welcome")
            turn, silences = _turn(session, reply, before=(greeting,)), 0
        elif stored.ended:
            return _goodbye(stored.session)
        else:
            session, silences = stored.session, int(json.loads(stored.history)["silences"])
            last = json.loads(stored.reply)
            if heard.kind == "silence":
                silences += 1
                if silences > SILENCES_ALLOWED:
                    turn = _goodbye(session, N_("voice.no_input"))
                else:
                    session, reply = conversations.step(session, _repeat(phone), conversations.voice_services)
                    turn = _turn(session, reply, before=(N_("voice.no_input"),))
            else:
                silences = 0
                event, apology = _event(conversations, session, last, phone, heard)
                session, reply = conversations.step(session, event, conversations.voice_services)
                turn = _turn(session, reply, before=(apology,) if apology else ())
        # The USSD session record serves calls too: its history holds the silences so far, its reply what the last
        # prompt offered (keys, option names, what it listened for), to read the caller's next answer against.
        history = json.dumps({"silences": silences})
        last = json.dumps({"keys": turn.prompt.keys, "labels": turn.prompt.labels, "listen": turn.prompt.listen},
                          ensure_ascii=False)
        sent = "" if heard.kind == "start" else heard.value or heard.kind  # keys, words, a recording's URL
        hop.save(Stored(call_id, history, last, session, ended=turn.ended), mid_flow=False,
                 step=session_log.step(turn.screen, sent, " ".join(turn.prompt.phrases)))
        return turn


def _repeat(phone: str, hint: str | None = None) -> Event:
    return Event("repeat", phone, "voice", hint or "", latin=False)


def _event(conversations: Conversations, session: Session, last: dict, phone: str, heard: Heard
           ) -> tuple[Event, str | None]:
    """The dialogs' input for what the caller did on the screen they were last told about, and an apology to say
    first when it was not understood."""
    def said_as(text: str, **more) -> tuple[Event, None]:
        return Event("input", phone, "voice", text, latin=False, **more), None

    if heard.kind == "recording":
        return said_as("", recording_url=heard.value)
    if heard.kind == "keys":
        if last["listen"] != "keys":
            return said_as(heard.value)
        key = heard.value[:1]
        if key in last["keys"]:
            return said_as(last["keys"][key])
        return _repeat(phone, N_("error.invalid_option")), None
    said = " ".join(heard.value.split())
    if last["listen"] == "text":
        return said_as(said)  # a name: the words are the answer
    not_understood = _repeat(phone), N_("voice.not_understood")
    if heard.confidence < SPEECH_FLOOR or not said:
        return not_understood
    chosen = understood_choice(said, last["keys"], last["labels"])
    if chosen is not None:
        return said_as(chosen)
    screen = conversations.dialog[session.screen]
    if session.screen == conversations.dialog.home_screen and session.profile is not None:
        parsed = conversations.parser.parse(said)
        if parsed.confident and parsed.intent in conversations.dialog.shortcuts:
            return Event("shortcut", phone, "voice", parsed.intent, latin=False, entities=dict(parsed.entities)), None
    if isinstance(screen, Menu) and screen.search is not None and re.search(r"\w", said):
        return said_as(said)  # a state or district said by name: the menu's own search finds it
    return not_understood


def understood_choice(said: str, keys: dict[str, str], labels: dict[str, str]) -> str | None:
    """A number said ("do", "तीन", "3"), or the name of one of the options ("pyaz" for प्याज): the dialogs' input
    for it, or None."""
    words = said.casefold().strip(" .!?।").split()
    if len(words) == 1:
        word = words[0]
        digit = word if word.isdigit() else NUMBER_WORDS.get(word)
        if digit is not None:
            return keys.get(digit)
    heard = phonetic_key(said)
    if not heard:
        return None
    matches = [choice for choice, label in labels.items() if _sounds_like(heard, label)]
    return matches[0] if len(matches) == 1 else None


def _sounds_like(heard: str, label: str) -> bool:
    key = phonetic_key(label.lstrip("+"))
    return bool(key) and (key == heard or (len(key) >= 3 and (key in heard or heard in key)))


def _turn(session: Session, reply: Reply, before: tuple[str, ...] = ()) -> Turn:
    t = texts(session.locale, latin=False)
    prompt = render(reply, t)
    said = tuple(t(key) for key in before) + prompt.phrases
    return Turn(Prompt(said, prompt.keys, prompt.listen, prompt.labels), session.locale, session.screen)


def _goodbye(session: Session, first: str | None = None) -> Turn:
    t: Texts = texts(session.locale, latin=False)
    said = ((t(first),) if first else ()) + (t(N_("voice.goodbye")),)
    return Turn(Prompt(said, listen="none"), session.locale, session.screen)
