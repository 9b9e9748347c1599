"""What flows in and out of the dialog engine: plain data, no I/O.

The engine reads a Session and an Event, and returns the next Session, a Reply (a channel-neutral View of the
screen, already in the farmer's language) and Effects for the core to carry out after the hop (service.effects).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass
class Profile:
    """What the dialogs need to know about a registered farmer, cached in the session for the whole call."""

    farmer_id: int
    name: str
    locale: str
    state_id: int | None
    district_id: int | None
    crops: dict[str, str | None]  # crop code -> sowing date (ISO) or None
    sms_opted_out: bool = False

    def sown_on(self, crop: str) -> date | None:
        value = self.crops.get(crop)
        return date.fromisoformat(value) if value else None


@dataclass
class Session:
    """One caller's place in the dialogs. Kept small: it is serialised into Redis on every hop."""

    screen: str = ""
    locale: str = "en"
    page: int = 0
    back: list[str] = field(default_factory=list)  # screens to return to with "0"
    answers: dict[str, Any] = field(default_factory=dict)
    profile: Profile | None = None
    error: str | None = None  # message key of the hint shown once above the current screen

    def to_dict(self) -> dict:
        data = {"s": self.screen, "l": self.locale}
        if self.page:
            data["p"] = self.page
        if self.back:
            data["b"] = self.back
        if self.answers:
            data["a"] = self.answers
        if self.profile:
            data["f"] = dict(vars(self.profile))  # flat: cheaper than dataclasses.asdict's deep copy
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Session":
        profile = data.get("f")
        return cls(screen=data["s"], locale=data["l"], page=data.get("p", 0), back=list(data.get("b", [])),
                   answers=dict(data.get("a", {})), profile=Profile(**profile) if profile else None)


@dataclass(frozen=True)
class Event:
    """A caller's action. `text` is only the new input (the gateway strips a provider's history)."""

    # "start" (a new session), "input", "shortcut" (text is an intent said aloud: "market_price"), or "repeat" (the
    # same screen again, with text as the hint to show above it, if any)
    kind: str
    phone: str
    channel: str  # "ussd", "voice", "sms"
    text: str = ""
    latin: bool = True  # the channel shows only Latin letters (most USSD operators)
    recording_url: str | None = None  # the voice channel's answer to a question: a recording instead of text
    entities: dict | None = None  # with a shortcut: what was named ({"crop": "wheat"})


@dataclass(frozen=True)
class Option:
    key: str  # what the caller presses: "1", "12", "98"
    label: str


@dataclass(frozen=True)
class View:
    """A screen, ready to lay out: a renderer pages `options` (or `lines`) to fit and adds `nav` on every page."""

    lines: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    nav: tuple[Option, ...] = ()
    more: Option | None = None  # the "98 More" label, used when the screen spans pages
    end: bool = False
    asks: str | None = None  # a question answered in words: "text", or "recording" (on a call: for a person to hear)


@dataclass(frozen=True)
class Reply:
    view: View
    page: int = 0

    @property
    def end(self) -> bool:
        return self.view.end
