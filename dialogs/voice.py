"""The voice channel's reading of a screen: what to say, what the caller may press, and what each key means to the
dialogs. Pure, like the engine: gateway/twilio/voice.py and gateway/africastalking/voice.py write it as XML.

The same View a USSD screen shows is spoken: its lines, then its options in groups of PAGE ("for weather, press
1"), then the way on: 9 more, 0 back, star for the main menu, 8 when a multiple choice is done. Keys are one digit,
so the caller never has to finish with hash; each page's options are numbered from 1 and mapped back to the
dialog's own numbers. Where speech needs other words than a screen ("say your name" for "type your name"), the
catalogue has `voice.<message id>` and that is said instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil

from dialogs.model import Reply, View
from dialogs.texts import N_, Phrase, Texts

PAGE = 5  # options per group: about as many as a caller keeps in mind
MORE, BACK, HOME, DONE = "9", "0", "*", "8"
_ENGINE = {"98": MORE, "0": BACK, "00": HOME, "99": DONE}  # the dialog's navigation keys, as pressed on a call
_SAID = {MORE: N_("voice.more"), BACK: N_("voice.back"), HOME: N_("voice.home"), DONE: N_("voice.done")}


@dataclass(frozen=True)
class VoiceLayout:
    """The dialogs' paging on a call: PAGE options per page (the engine asks it how many pages a view has)."""

    page_size: int = PAGE

    def page_count(self, view: View) -> int:
        return max(1, ceil(len(view.options) / self.page_size))


@dataclass(frozen=True)
class Prompt:
    """One turn of a call: say `phrases`, then listen. `keys` maps what the caller presses to the dialogs' input."""

    phrases: tuple[str, ...]
    keys: dict[str, str] = field(default_factory=dict)
    listen: str = "keys"  # keys | text (a spoken answer) | recording | none (the call ends)
    labels: dict[str, str] = field(default_factory=dict)  # dialog input -> option label, for understanding speech

    @property
    def hangup(self) -> bool:
        return self.listen == "none"


# Messages whose screen wording does not suit the ear ("type your name", "₹4,060 (3,490-4,510)"): on a call the
# catalogue's voice.<message id> is said instead, with the same values.
SPOKEN = frozenset(key.removeprefix("voice.") for key in (
    N_("voice.reg.name.prompt"), N_("voice.reg.state.title"), N_("voice.reg.district.title"),
    N_("voice.reg.consent.declined"), N_("voice.pest.describe.prompt"), N_("voice.pest.symptom.other"),
    N_("voice.error.empty"), N_("voice.error.name"), N_("voice.error.not_found"),
    N_("voice.prices.title"), N_("voice.prices.line"), N_("voice.prices.line.old"), N_("voice.weather.line"),
    N_("voice.expert.done"),  # "Monday to Saturday", where a screen has "(Mon-Sat)"
    N_("voice.stage.harvest"), N_("voice.stage.sowing"),  # "कटाई या तुड़ाई", where a screen has "कटाई/तुड़ाई"
))


def spoken(t: Texts, line: str) -> str:
    """The words for the ear: the voice wording of a message where it has one, and a ticket number read digit by
    digit ("8 7 3 0 9 6 6", not "eight million...") so the farmer can write it down."""
    if not isinstance(line, Phrase):
        return line
    params = {name: spoken(t, value) if isinstance(value, Phrase) and value.key in SPOKEN else value
              for name, value in line.params.items()}  # a stage inside a title is said as the stage alone is
    if "ticket" in params:
        params = {**params, "ticket": " ".join(str(params["ticket"]))}
    if line.key in SPOKEN:
        return t(f"voice.{line.key}", **params)
    return t(line.key, **params) if params != line.params else line


def render(reply: Reply, t: Texts, layout: VoiceLayout = VoiceLayout()) -> Prompt:
    view = reply.view
    phrases = [spoken(t, line) for line in view.lines]
    if view.end:
        return Prompt(tuple(phrases) + (t(N_("voice.goodbye")),), listen="none")
    if view.asks:
        return Prompt(tuple(phrases), listen="recording" if view.asks == "recording" else "text")
    start = reply.page * layout.page_size
    shown = view.options[start:start + layout.page_size]
    keys, labels = {}, {}
    for n, option in enumerate(shown, 1):
        keys[str(n)] = option.key
        phrases.append(t(N_("voice.press"), label=_label(t, option.label), number=n))
    for option in view.options:
        labels[option.key] = _label(t, option.label)
    if start + layout.page_size < len(view.options):
        keys[MORE] = "98"
    for option in view.nav:
        if option.key in _ENGINE:
            keys[_ENGINE[option.key]] = option.key
    for key in (DONE, MORE, BACK, HOME):
        if key in keys:
            phrases.append(t(_SAID[key]))
    return Prompt(tuple(phrases), keys, "keys", labels)


def _label(t: Texts, label: str) -> str:
    # A multiple choice marks what is chosen with "+" on a screen; on a call that is said in words.
    if label.startswith("+"):
        return t(N_("voice.selected"), label=spoken(t, label[1:]))
    return spoken(t, label)
