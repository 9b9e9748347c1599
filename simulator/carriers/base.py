"""What every carrier does on a call, in one shape: each provider's module (twilio, africastalking, plivo) says
how it names the call and its fields, signs what it posts, names its XML verbs and reads the ones that listen, and
what it posts when the call is over. The phone (simulator/voice.py) does the rest, the same way for all of them."""
from __future__ import annotations

from typing import ClassVar, Protocol
from xml.etree import ElementTree as ET

from simulator.voice_verbs import NotHeard, Waiting


class Call(Protocol):
    """What a carrier reads of the call it carries (simulator.voice.VoicePhone)."""

    call_id: str
    phone: str  # the caller, E.164
    to: str  # the number dialled, E.164
    base_url: str  # where the provider reaches the gateway
    auth_token: str | None  # Twilio's, Plivo's: what the requests are signed with
    token: str | None  # Africa's Talking's webhook token
    account_sid: str  # Twilio's
    auth_id: str  # Plivo's
    answered: bool  # the gateway has answered the call's first request


class Carrier:
    name: ClassVar[str]
    title: ClassVar[str]  # as the terminal names it
    hotline: ClassVar[str]  # made up: the number the farmer dials
    roles: ClassVar[dict[str, str]]  # the carrier's verbs, by what they do (simulator.voice_verbs)
    hears_speech: ClassVar[bool] = True
    signed_with: ClassVar[str | None] = None  # the gateway's variable holding the token every request is signed with
    refused_hint: ClassVar[str] = ""  # what to check when the gateway answers 403

    def __init__(self, call: Call):
        self.call = call

    def new_call_id(self) -> str:
        raise NotImplementedError

    @property
    def first_url(self) -> str:
        """The voice URL configured at the provider for the number dialled."""
        raise NotImplementedError

    def fields(self) -> dict[str, str]:
        """The fields the provider sends on every request of this call."""
        raise NotImplementedError

    def headers(self, url: str, form: dict[str, str]) -> dict[str, str]:
        """What the provider adds to the request: its signature, over the URL it calls."""
        return {}

    def role(self, verb: ET.Element) -> str | None:
        """What the verb does, None when it is not one of this provider's (the call then ends there)."""
        return self.roles.get(verb.tag)

    def voice(self, verb: ET.Element) -> str:
        """The language and voice a speaking verb is heard in."""
        raise NotImplementedError

    def listen(self, verb: ET.Element, url: str, rest: list[ET.Element]) -> Waiting:
        """What a listening verb of the document at `url` waits for, and where the answer goes."""
        raise NotImplementedError

    def keys(self, waiting: Waiting, digits: str) -> dict[str, str]:
        raise NotImplementedError

    def speech(self, waiting: Waiting, words: str, confidence: float) -> dict[str, str]:
        raise NotHeard(f"{self.title} recognises no speech")

    def recording(self, waiting: Waiting, seconds: int) -> dict[str, str]:
        """A recording of `seconds` has been made: what is posted to the action."""
        raise NotImplementedError

    def dialled(self, verb: ET.Element) -> str:
        """The numbers a Dial rings."""
        return " ".join((verb.text or "").split())

    def last_word(self, seconds: int, by: str) -> tuple[str, dict[str, str], str]:
        """The call is over, ended `by` someone (simulator.voice_verbs BY_*): where the provider tells the gateway,
        what it posts, and what the call cost as the terminal shows it (", KES 0.7000"; "" when not said)."""
        raise NotImplementedError
