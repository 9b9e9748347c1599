"""A phone that calls the voice hotline the way Twilio, Africa's Talking or Plivo would carry the call: the same form
fields, posted to the URLs the gateway's XML names, signed (Twilio's X-Twilio-Signature, Plivo's
X-Plivo-Signature-V3) or carrying the token (Africa's Talking's ?token=), and the XML of each answer played out as
text. `kheti simulate voice` drives it from a terminal over HTTP; the tests drive it through the Flask app. What each
provider does its own way is in simulator/carriers/, one module each; this module is the caller and the provider's
reading of a document, the same for all of them.

What the caller hears comes back as `Line`s: what is said (and in which language and voice), audio played, what the
provider now waits for (a key, speech, a recording) and the end of the call. What the caller does:

- keys: "2", "*", "#" (Twilio's Gather, AT's GetDigits, Plivo's GetInput take up to numDigits keys; finishOnKey
  ends the input);
- speech (Twilio, Plivo): "say: gehun ka bhav" posts what was said with a confidence of 0.9 ("say@0.3: ..." sets
  it); Africa's Talking recognises no speech, so it is refused here, as it would go unheard on a real call;
- a recording: "record" (or "record 20" for 20 seconds) posts a made-up https recording URL and its duration;
- silence: "" -- Twilio posts the Gather action with neither Digits nor SpeechResult (actionOnEmptyResult) or moves
  on to the next verb; Africa's Talking and Plivo move on to the next element (a Redirect back to the gateway);
- hanging up: "hangup" -- and whenever a call ends, either side, the provider's last word is posted: Twilio's status
  callback (CallStatus completed, CallDuration), AT's isActive=0 (durationInSeconds, amount, currencyCode), Plivo's
  hangup URL (Duration, BillDuration, TotalCost, HangupCauseName, HangupSource).

The call's duration is estimated from what was said (about 14 characters a second), the waits and the recordings, so
a scripted call always reports the same one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin
from xml.etree import ElementTree as ET

from simulator.carriers import CARRIERS, Carrier
from simulator.network import Post, masked
from simulator.voice_verbs import (
    AFRICASTALKING, BY_CALLER, BY_DIAL, BY_END_OF_XML, BY_HANGUP, BY_REJECTION, BY_UNKNOWN_VERB, DIAL, HANGUP,
    LISTEN, PLIVO, REDIRECT, REJECT, TWILIO, Line, NotHeard, Waiting, heard,
)

__all__ = ["AFRICASTALKING", "HOTLINES", "PLIVO", "PROVIDERS", "TWILIO", "Line", "NotHeard", "VoicePhone"]

PROVIDERS = tuple(CARRIERS)
HOTLINES = {name: carrier.hotline for name, carrier in CARRIERS.items()}
DEMO_FARMER = "+919876543210"
SPEECH_CONFIDENCE = 0.9
RECORDING_S = 12
KEY_S, SPEECH_S = 2, 3
KEYPAD = frozenset("0123456789*#")


@dataclass
class VoicePhone:
    """One caller's phone on one provider's network. `base_url` is where the provider reaches the gateway (its
    PUBLIC_BASE_URL when it has one), the URL that Twilio and Plivo sign."""

    post: Post
    provider: str = TWILIO
    phone: str = DEMO_FARMER
    to: str | None = None
    base_url: str = "http://127.0.0.1:5000"
    auth_token: str | None = None  # Twilio, Plivo: the gateway's TWILIO_/PLIVO_AUTH_TOKEN, to sign every request
    token: str | None = None  # Africa's Talking: the gateway's AT_WEBHOOK_TOKEN, in the callback URL
    account_sid: str = "AC" + "5eed" * 8  # Twilio's, in its recording URLs
    auth_id: str = "MA" + "5EED" * 4 + "AB"  # Plivo's, in its recording URLs
    call_id: str = ""
    waiting: Waiting | None = None
    ended: bool = True
    answered: bool = False  # the gateway has answered the call's first request
    seconds: int = 0
    lines: list[Line] = field(default_factory=list)
    carrier: Carrier = field(init=False, repr=False)

    def __post_init__(self):
        if self.provider not in CARRIERS:
            raise ValueError(f"provider must be one of {', '.join(PROVIDERS)}, not {self.provider!r}")
        self.carrier = CARRIERS[self.provider](self)
        self.to = self.to or self.carrier.hotline
        self.base_url = self.base_url.rstrip("/")

    @property
    def first_url(self) -> str:
        """The voice URL configured at the provider for the number dialled."""
        return self.carrier.first_url

    # --- what the caller does -------------------------------------------------------------------------------------

    def dial(self) -> list[Line]:
        """Start a new call: the provider's first webhook."""
        self.call_id = self.carrier.new_call_id()
        self.ended, self.waiting, self.seconds, self.answered, self.lines = False, None, 0, False, []
        self._request(self.first_url, {})
        return self.lines[:]

    def answer(self, text: str) -> list[Line]:
        """What the caller typed at the terminal: keys, "say: ...", "record [seconds]", "" (silence), "hangup"."""
        text = text.strip()
        if not text:
            return self.silence()
        lowered = text.casefold()
        if lowered in ("hangup", "hang up", "bye"):
            return self.hang_up()
        if lowered == "record" or lowered.startswith("record "):
            seconds = lowered.removeprefix("record").strip() or str(RECORDING_S)
            if not seconds.isdigit() or int(seconds) < 1:
                raise NotHeard("record takes a number of seconds: record 20")
            return self.record(int(seconds))
        if lowered.startswith("say"):
            head, colon, words = text.partition(":")
            confidence = SPEECH_CONFIDENCE
            if colon and head.strip().casefold().startswith("say@"):
                try:
                    confidence = float(head.strip()[4:])
                except ValueError:
                    raise NotHeard("say@<confidence>: words, e.g. say@0.3: gehun ka bhav") from None
            elif not colon or head.strip().casefold() != "say":
                raise NotHeard("speech is typed as say: words")
            return self.say(words.strip(), confidence)
        if set(text) <= KEYPAD:
            return self.press(text)
        raise NotHeard("type keys (0-9 * #), say: words, record, nothing for silence, or hangup")

    def press(self, keys: str) -> list[Line]:
        waiting = self._waiting()
        if not waiting.keys:
            if waiting.recording:
                raise NotHeard("the call is recording: type record to leave a message, or nothing for silence")
            raise NotHeard("this question is answered by speaking (say: ...); keys are not listened to here")
        if not keys or not set(keys) <= KEYPAD:
            raise NotHeard(f"not keypad keys: {keys!r}")
        digits, dropped = "", ""
        for i, key in enumerate(keys):
            if key in waiting.finish_on_key:
                dropped = keys[i + 1:]
                break
            digits += key
            if waiting.num_digits and len(digits) >= waiting.num_digits:
                dropped = keys[i + 1:]
                break
        self.seconds += KEY_S * max(1, len(digits))
        mark = len(self.lines)
        if dropped:
            self.lines.append(Line("note", f"keys not heard: {dropped}"))
        if not digits:
            self._nothing(waiting)
        else:
            self._answer(waiting, self.carrier.keys(waiting, digits))
        return self.lines[mark:]

    def say(self, words: str, confidence: float = SPEECH_CONFIDENCE) -> list[Line]:
        waiting = self._waiting()
        if not self.carrier.hears_speech:
            self.carrier.speech(waiting, words, confidence)  # raises NotHeard, saying why it goes unheard
        if not waiting.speech:
            raise NotHeard("speech is not listened to here" + (": type record" if waiting.recording else ""))
        if not words:
            return self.silence()
        self.seconds += SPEECH_S
        return self._act(self._answer, waiting, self.carrier.speech(waiting, words, confidence))

    def record(self, seconds: int = RECORDING_S) -> list[Line]:
        waiting = self._waiting()
        if not waiting.recording:
            raise NotHeard("nothing is being recorded here: answer with a key" +
                           (" or say: ..." if waiting.speech else ""))
        seconds = min(seconds, waiting.max_length)
        self.seconds += seconds
        return self._act(self._answer, waiting, self.carrier.recording(waiting, seconds))

    def silence(self) -> list[Line]:
        waiting = self._waiting()
        self.seconds += waiting.timeout
        return self._act(self._nothing, waiting)

    def hang_up(self) -> list[Line]:
        """The caller puts the phone down."""
        if self.ended:
            return []
        return self._act(self._end, "you hung up", BY_CALLER)

    # --- the provider -----------------------------------------------------------------------------------------------

    def fields(self) -> dict[str, str]:
        """The fields the provider sends on every request of this call."""
        return self.carrier.fields()

    def _waiting(self) -> Waiting:
        if self.ended:
            raise RuntimeError("the call has ended; dial again")
        if self.waiting is None:
            raise RuntimeError("the call is not waiting for the caller")
        return self.waiting

    def _act(self, step, *args) -> list[Line]:
        """Run one step of the call; what it adds to the call's lines is what the caller heard."""
        mark = len(self.lines)
        step(*args)
        return self.lines[mark:]

    def _answer(self, waiting: Waiting, extra: dict[str, str]) -> None:
        """The caller answered: the action gets it and its document is followed, or (Plivo's redirect="false") the
        action is only told, and the call goes on with the verbs after the one that listened."""
        if waiting.redirect:
            self._request(waiting.action, extra)
        else:
            self._send(waiting.action, {**self.fields(), **extra})
            self._go_on(waiting)

    def _nothing(self, waiting: Waiting) -> None:
        """No input: Twilio posts the action anyway when told to (actionOnEmptyResult), otherwise every provider
        goes on with the verbs after the one that waited (AT, Plivo: the Redirect); with none left, the call ends."""
        if waiting.empty_to_action:
            self._request(waiting.action, {})
        else:
            self._go_on(waiting)

    def _go_on(self, waiting: Waiting) -> None:
        self.waiting = None
        self._execute(waiting.rest, waiting.action)

    def _request(self, url: str, extra: dict[str, str]) -> None:
        body = self._send(url, {**self.fields(), **extra})
        self.answered = True
        try:
            root = ET.fromstring(body)
        except ET.ParseError as exc:
            raise RuntimeError(f"not XML, the provider would end the call ({exc}): {body[:200]!r}") from None
        if root.tag != "Response":
            raise RuntimeError(f"the answer is <{root.tag}>, not <Response>: the provider would end the call")
        self.waiting = None
        self._execute(list(root), url)

    def _send(self, url: str, form: dict[str, str]) -> str:
        headers = self.carrier.headers(url, form)
        self.lines.append(Line("post", masked(url), " ".join(f"{k}={v}" for k, v in form.items())))
        status, body = self.post(url, form, headers)
        if not 200 <= status < 300:
            hint = self.carrier.refused_hint if status == 403 else ""
            raise RuntimeError(f"gateway answered HTTP {status} to {masked(url)}{hint}: {body[:200]}")
        return body

    def _execute(self, verbs: list[ET.Element], url: str) -> None:
        """Run the document's verbs in order until one waits for the caller, one ends the call, or none are left."""
        for i, verb in enumerate(verbs):
            role = self.carrier.role(verb)
            if role == LISTEN:
                for prompt in verb:
                    self._speak(prompt)
                self.waiting = self.carrier.listen(verb, url, verbs[i + 1:])
                self.lines.append(Line("wait", self.waiting.describe()))
                return
            if role == REDIRECT:
                if verb.get("method", "POST").upper() != "POST":
                    raise RuntimeError(f"<Redirect method={verb.get('method')}> is not simulated")
                self._request(urljoin(url, (verb.text or "").strip()), {})
                return
            if role == HANGUP:
                self._end("the gateway hung up", BY_HANGUP)
                return
            if role == REJECT:
                self._end(f"rejected unanswered ({verb.get('reason', 'rejected')}), the caller pays nothing",
                          BY_REJECTION)
                return
            if role == DIAL:
                self.lines.append(Line("note", f"connected to {self.carrier.dialled(verb) or 'nobody'} "
                                               "(the other phone is not simulated)"))
                self._end("the connected call ended", BY_DIAL)
                return
            if role is None:
                self.lines.append(Line("note", f"<{verb.tag}> is not simulated"))
                self._end(f"at <{verb.tag}>", BY_UNKNOWN_VERB)
                return
            self._speak(verb)
        self._end("nothing more to do, the provider hangs up", BY_END_OF_XML)

    def _speak(self, verb: ET.Element) -> None:
        line, seconds = heard(verb, self.carrier.role(verb), self.carrier.voice(verb))
        self.seconds += seconds
        self.lines.append(line)

    def _end(self, why: str, by: str) -> None:
        """The call is over, whichever side ended it: the provider's last word about it goes to the gateway."""
        self.ended, self.waiting = True, None
        seconds = 0 if by == BY_REJECTION else self.seconds
        url, form, cost = self.carrier.last_word(seconds, by)
        self._send(url, form)
        self.lines.append(Line("end", f"{why}; {seconds} s{cost}"))
