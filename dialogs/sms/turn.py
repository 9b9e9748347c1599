"""One SMS turn: the message, who sent it, what the conversation remembers, and how the reply is written.

- A farmer who writes in Latin letters gets the answer in Latin letters (hi_Latn, mr_Latn): they read it, and GSM-7
  fits 306 characters in two SMS where Devanagari fits 134. Every reply is cut to two segments (the consent notice,
  said whole, to four).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from dialogs.effects import Effect
from dialogs.encoding import measure
from dialogs.model import Profile
from dialogs.services import FarmServices
from dialogs.texts import Texts, texts
from nlu.parser import Parse
from nlu.transliterate import has_devanagari

MAX_SEGMENTS = 2
YES = {"yes", "y", "haan", "han", "ha", "ho", "hoy", "haa", "1", "ok", "हाँ", "हां", "हा", "होय", "हो", "ji", "जी"}
NO = {"no", "n", "nahi", "nahin", "nako", "2", "नहीं", "नही", "नाही", "नको"}


@dataclass
class Chat:
    """What an SMS conversation remembers between messages (in Redis, keyed by phone, for a day): the step of a
    multi-step reply (a registration, a stage or a plan to choose) and the language, before registration."""

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


class NotAnAnswer(Exception):
    """Raised by a step: the message does not answer the question asked ("1, 2 or 3?"), so it is read afresh as a
    new question, the step forgotten."""


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
        return texts(self.locale, latin=not has_devanagari(self.message.text))

    @property
    def word(self) -> str:
        """The message as one bare word or phrase, for keywords and yes/no answers."""
        return self.message.text.strip().casefold().strip(".!")

    def say(self, key: str, *, segments: int = MAX_SEGMENTS, **params) -> str:
        return fit(self.t(key, **params), segments)

    def forget_step(self) -> None:
        self.chat = Chat(locale=self.chat.locale)


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


def first_name(name: str) -> str:
    return re.split(r"\s+", name.strip())[0] if name.strip() else name


def number_among(text: str, count: int) -> int | None:
    """A choice by its number ("2" of three): its index, or None."""
    text = text.strip()
    return int(text) - 1 if text.isdigit() and 1 <= int(text) <= count else None
