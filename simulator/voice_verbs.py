"""The provider's voice XML as a caller meets it: what each verb says (a Line the terminal shows, and the seconds it
takes), and what a verb that listens waits for (keys, speech, a recording) and where the answer goes."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin
from xml.etree import ElementTree as ET

TWILIO, AFRICASTALKING = "twilio", "africastalking"
CHARS_PER_SECOND = 14  # speaking speed, to estimate the call's duration
PLAY_S = 5


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
    """The verb the provider is executing while it waits for the caller: a Gather/GetDigits or a Record."""

    verb: ET.Element
    action: str  # where the answer is posted
    rest: list[ET.Element]  # the verbs after it: where the call goes on when nothing comes
    keys: bool = True
    speech: str | None = None  # the language speech is recognised in (Twilio), None when speech is not heard
    recording: bool = False
    num_digits: int | None = None
    finish_on_key: str = "#"
    timeout: int = 5
    empty_to_action: bool = False  # Twilio's actionOnEmptyResult

    def describe(self) -> str:
        if self.recording:
            return (f"a recording (type record; up to {self.verb.get('maxLength', '3600')} s, "
                    f"{self.finish_on_key or 'silence'} to finish)")
        what = []
        if self.keys:
            n = self.num_digits
            what.append("a key" if n == 1 else f"up to {n} keys" if n else f"keys ending with {self.finish_on_key}")
        if self.speech:
            what.append(f"speech in {self.speech} (say: ...)")
        return " or ".join(what) + f"; {self.timeout} s of silence moves on"


def heard(verb: ET.Element, provider: str) -> tuple[Line, int]:
    """What the caller hears of a Say, Play or Pause, and for how many seconds."""
    text = " ".join((verb.text or "").split())
    if verb.tag == "Pause":
        return Line("note", f"pause, {verb.get('length') or 1} s"), int(verb.get("length") or 1)
    if verb.tag == "Play":
        return Line("play", verb.get("url") or text), PLAY_S
    if verb.tag == "Say":
        if provider == TWILIO:
            detail = ", ".join(v for v in (verb.get("language") or "en-US", verb.get("voice")) if v)
        else:
            detail = f"English, {verb.get('voice') or 'woman'}"
        return Line("say", text, detail), max(1, round(len(text) / CHARS_PER_SECOND))
    return Line("note", f"<{verb.tag}> inside the prompt is not simulated"), 0


def waiting_for(verb: ET.Element, provider: str, url: str, first_url: str, rest: list[ET.Element]) -> Waiting:
    """What a Gather, GetDigits or Record waits for; `url` is the document's, `first_url` the number's own."""
    if provider == TWILIO:
        action = urljoin(url, verb.get("action") or url)  # Twilio's default: the current document's URL
        method = (verb.get("method") or "POST").upper()
    else:
        action = urljoin(url, verb.get("callbackUrl") or first_url)
        method = "POST"
    if method != "POST":
        raise RuntimeError(f"<{verb.tag} method={method}> is not simulated")
    timeout = int(verb.get("timeout") or 5)
    if verb.tag == "Record":
        return Waiting(verb, action, rest, keys=False, recording=True, timeout=timeout,
                       finish_on_key=verb.get("finishOnKey", "1234567890*#"))
    num_digits = int(verb.get("numDigits")) if verb.get("numDigits") else None
    finish = verb.get("finishOnKey", "#")
    if provider == TWILIO:
        inputs = (verb.get("input") or "dtmf").split()
        return Waiting(verb, action, rest, keys="dtmf" in inputs,
                       speech=(verb.get("language") or "en-US") if "speech" in inputs else None,
                       num_digits=num_digits, finish_on_key=finish, timeout=timeout,
                       empty_to_action=verb.get("actionOnEmptyResult") == "true")
    return Waiting(verb, action, rest, num_digits=num_digits, finish_on_key=finish, timeout=timeout)
