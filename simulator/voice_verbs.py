"""The provider's voice XML as a caller meets it, whichever provider sends it: what a verb does to the call (each
carrier names its verbs, simulator/carriers/), what a spoken or played one sounds like (a Line the terminal shows,
and the seconds it takes), and what a verb that listens waits for (keys, speech, a recording) and where the answer
goes."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin
from xml.etree import ElementTree as ET

TWILIO, AFRICASTALKING, PLIVO = "twilio", "africastalking", "plivo"
CHARS_PER_SECOND = 14  # speaking speed, to estimate the call's duration
PLAY_S = 5

# What a verb does to the call; each carrier says which of its tags does what.
SPEAK, PAUSE, PLAY, LISTEN, REDIRECT, HANGUP, REJECT, DIAL = (
    "speak", "pause", "play", "listen", "redirect", "hangup", "reject", "dial")
# Who or what ended the call: the provider's last word says so.
BY_CALLER, BY_HANGUP, BY_END_OF_XML, BY_REJECTION, BY_DIAL, BY_UNKNOWN_VERB = (
    "caller", "hangup", "end of xml", "rejection", "dial", "unknown verb")


class NotHeard(ValueError):
    """What the caller did cannot reach the gateway at this point of the call (speech on Africa's Talking, a key
    where only a recording is taken, ...): nothing was posted."""


@dataclass(frozen=True)
class Line:
    """One thing that happened on the call, as the terminal shows it."""

    kind: str  # say | play | wait | end | note | post
    text: str
    detail: str = ""  # say: language and voice; post: the form fields

    def __str__(self) -> str:
        if self.kind == "say":
            return f"(speaking, {self.detail}) {self.text}"
        if self.kind == "play":
            return f"[audio] {self.text}"
        if self.kind == "wait":
            return f"(waiting for {self.text})"
        if self.kind == "end":
            return f"(call ended: {self.text})"
        if self.kind == "post":
            return f"  POST {self.text}  {self.detail}"
        return f"({self.text})"


@dataclass
class Waiting:
    """The verb the provider is executing while it waits for the caller: a Gather, GetDigits, GetInput or Record."""

    verb: ET.Element
    action: str  # where the answer is posted
    rest: list[ET.Element]  # the verbs after it: where the call goes on when nothing comes
    keys: bool = True
    speech: str | None = None  # the language speech is recognised in, None when speech is not heard
    recording: bool = False
    num_digits: int | None = None
    finish_on_key: str = "#"
    timeout: int = 5  # seconds of silence before the provider moves on
    max_length: int = 3600  # a recording's longest, in seconds
    empty_to_action: bool = False  # Twilio's actionOnEmptyResult
    redirect: bool = True  # Plivo's redirect="false": the action is told, and the document goes on

    def describe(self) -> str:
        if self.recording:
            return (f"a recording (type record; up to {self.max_length} s, "
                    f"{self.finish_on_key or 'silence'} to finish)")
        what = []
        if self.keys:
            n = self.num_digits
            what.append("a key" if n == 1 else f"up to {n} keys" if n else f"keys ending with {self.finish_on_key}")
        if self.speech:
            what.append(f"speech in {self.speech} (say: ...)")
        return " or ".join(what) + f"; {self.timeout} s of silence moves on"


def heard(verb: ET.Element, role: str | None, detail: str) -> tuple[Line, int]:
    """What the caller hears of a verb that speaks, plays or pauses (as its carrier names it), and for how long;
    `detail` is the language and voice it speaks in."""
    text = " ".join((verb.text or "").split())
    if role == PAUSE:
        return Line("note", f"pause, {verb.get('length') or 1} s"), int(verb.get("length") or 1)
    if role == PLAY:
        return Line("play", verb.get("url") or text), PLAY_S
    if role == SPEAK:
        return Line("say", text, detail), max(1, round(len(text) / CHARS_PER_SECOND))
    return Line("note", f"<{verb.tag}> inside the prompt is not simulated"), 0


def action_url(verb: ET.Element, url: str, target: str | None, default_method: str = "POST") -> str:
    """Where a listening verb posts its answer: `target` resolved against the document's URL, POST only."""
    method = (verb.get("method") or default_method).upper()
    if method != "POST":
        raise RuntimeError(f"<{verb.tag} method={method}> is not simulated")
    if not target:
        raise RuntimeError(f"<{verb.tag}> names no action URL: the provider would not know where to post")
    return urljoin(url, target)


def whole(verb: ET.Element, name: str, default: int | None) -> int | None:
    value = verb.get(name)
    return int(value) if value and value.isdigit() else default


def finish_key(verb: ET.Element, default: str) -> str:
    """The keys that end the input; "none" (Plivo) or "" means none do."""
    value = verb.get("finishOnKey", default)
    return "" if value.casefold() == "none" else value
