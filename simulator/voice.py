"""A phone that calls the voice hotline the way Twilio or Africa's Talking would carry the call: the same form fields,
posted to the URLs the gateway's XML names, signed (Twilio's X-Twilio-Signature) or carrying the token (Africa's
Talking's ?token=), and the XML of each answer played out as text. `kheti simulate voice` drives it from a terminal
over HTTP; the tests drive it through the Flask app.

What the caller hears comes back as `Line`s: what is said (and in which language and voice), audio played, what the
provider now waits for (a key, speech, a recording) and the end of the call. What the caller does:

- keys: "2", "*", "#" (Twilio's Gather and AT's GetDigits take up to numDigits keys; finishOnKey ends the input);
- speech (Twilio only): "say: gehun ka bhav" posts SpeechResult with Confidence 0.9 ("say@0.3: ..." sets it);
  Africa's Talking recognises no speech, so it is refused here, as it would go unheard on a real call;
- a recording: "record" (or "record 20" for 20 seconds) posts a made-up https recording URL and its duration;
- silence: "" -- Twilio posts the Gather action with neither Digits nor SpeechResult (actionOnEmptyResult) or moves
  on to the next verb; Africa's Talking moves on to the next action, the Redirect;
- hanging up: "hangup" -- and whenever a call ends, either side, the provider's last word is posted: Twilio's status
  callback (CallStatus completed, CallDuration), AT's isActive=0 (durationInSeconds, amount, currencyCode).

The call's duration is estimated from what was said (about 14 characters a second), the waits and the recordings, so
a scripted call always reports the same one.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode, urljoin
from xml.etree import ElementTree as ET

from twilio.request_validator import RequestValidator

from simulator.network import AT_RATE_PER_MINUTE, Post, country, currency, masked
from simulator.voice_verbs import AFRICASTALKING, TWILIO, Line, Waiting, heard, waiting_for

PROVIDERS = (TWILIO, AFRICASTALKING)
DEMO_FARMER = "+919876543210"
HOTLINES = {TWILIO: "+912071177300", AFRICASTALKING: "+254711082300"}  # made up: the number the farmer dials
SPEECH_CONFIDENCE = 0.9
RECORDING_S = 12
KEY_S, SPEECH_S = 2, 3
KEYPAD = frozenset("0123456789*#")


class NotHeard(ValueError):
    """What the caller did cannot reach the gateway at this point of the call (speech on Africa's Talking, a key
    where only a recording is taken, ...): nothing was posted."""


@dataclass
class VoicePhone:
    """One caller's phone on one provider's network. `base_url` is where the provider reaches the gateway (its
    PUBLIC_BASE_URL when it has one), the URL that Twilio signs."""

    post: Post
    provider: str = TWILIO
    phone: str = DEMO_FARMER
    to: str | None = None
    base_url: str = "http://127.0.0.1:5000"
    auth_token: str | None = None  # Twilio: the gateway's TWILIO_AUTH_TOKEN, to sign every request
    token: str | None = None  # Africa's Talking: the gateway's AT_WEBHOOK_TOKEN, in the callback URL
    account_sid: str = "AC" + "5eed" * 8
    call_id: str = ""
    waiting: Waiting | None = None
    ended: bool = True
    seconds: int = 0
    lines: list[Line] = field(default_factory=list)
    _answered: bool = False

    def __post_init__(self):
        if self.provider not in PROVIDERS:
            raise ValueError(f"provider must be one of {', '.join(PROVIDERS)}, not {self.provider!r}")
        self.to = self.to or HOTLINES[self.provider]
        self.base_url = self.base_url.rstrip("/")

    # --- what the caller does -------------------------------------------------------------------------------------

    def dial(self) -> list[Line]:
        """Start a new call: the provider's first webhook."""
        if self.provider == TWILIO:
            self.call_id = "CA" + uuid.uuid4().hex
        else:
            self.call_id = "ATVId_" + uuid.uuid4().hex
        self.ended, self.waiting, self.seconds, self._answered, self.lines = False, None, 0, False, []
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
            self._request(waiting.action, {"Digits" if self.provider == TWILIO else "dtmfDigits": digits})
        return self.lines[mark:]

    def say(self, words: str, confidence: float = SPEECH_CONFIDENCE) -> list[Line]:
        if self.provider == AFRICASTALKING:
            raise NotHeard("Africa's Talking recognises no speech: its GetDigits hears keys only (the gateway "
                           "records a spoken answer instead, type record there). Try --provider twilio")
        waiting = self._waiting()
        if not waiting.speech:
            raise NotHeard("speech is not listened to here" + (": type record" if waiting.recording else ""))
        if not words:
            return self.silence()
        self.seconds += SPEECH_S
        return self._act(self._request, waiting.action, {"SpeechResult": words, "Confidence": f"{confidence:g}"})

    def record(self, seconds: int = RECORDING_S) -> list[Line]:
        waiting = self._waiting()
        if not waiting.recording:
            raise NotHeard("nothing is being recorded here: answer with a key" +
                           (" or say: ..." if waiting.speech else ""))
        limit = int(waiting.verb.get("maxLength") or 3600)
        seconds = min(seconds, limit)
        self.seconds += seconds
        rec = uuid.uuid4().hex
        if self.provider == TWILIO:
            url = f"https://api.twilio.com/2010-04-01/Accounts/{self.account_sid}/Recordings/RE{rec}"
            form = {"RecordingUrl": url, "RecordingSid": f"RE{rec}", "RecordingDuration": str(seconds)}
            if waiting.finish_on_key and seconds < limit:
                form["Digits"] = waiting.finish_on_key[0]  # the caller finished with the key
        else:
            form = {"recordingUrl": f"https://voice.africastalking.com/recordings/{self.call_id}/{rec}.mp3"}
        return self._act(self._request, waiting.action, form)

    def silence(self) -> list[Line]:
        waiting = self._waiting()
        self.seconds += waiting.timeout
        return self._act(self._nothing, waiting)

    def hang_up(self) -> list[Line]:
        """The caller puts the phone down."""
        if self.ended:
            return []
        return self._act(self._end, "you hung up")

    # --- the provider -----------------------------------------------------------------------------------------------

    @property
    def first_url(self) -> str:
        """The voice URL configured at the provider for the number dialled."""
        if self.provider == TWILIO:
            return f"{self.base_url}/twilio/voice"
        query = f"?{urlencode({'token': self.token})}" if self.token else ""
        return f"{self.base_url}/africastalking/voice{query}"

    def fields(self) -> dict[str, str]:
        """The fields the provider sends on every request of this call."""
        if self.provider == TWILIO:
            return {"CallSid": self.call_id, "AccountSid": self.account_sid, "From": self.phone, "To": self.to,
                    "Caller": self.phone, "Called": self.to, "FromCountry": country(self.phone),
                    "ToCountry": country(self.to), "CallStatus": "in-progress" if self._answered else "ringing",
                    "Direction": "inbound", "ApiVersion": "2010-04-01"}
        return {"isActive": "1", "sessionId": self.call_id, "direction": "Inbound", "callerNumber": self.phone,
                "destinationNumber": self.to}

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

    def _nothing(self, waiting: Waiting) -> None:
        """No input: Twilio posts the action anyway when told to (actionOnEmptyResult), otherwise both providers
        go on with the verbs after the one that waited (AT: the Redirect); with none left, the call ends."""
        if waiting.empty_to_action:
            self._request(waiting.action, {})
        else:
            self.waiting = None
            self._execute(waiting.rest, waiting.action)

    def _request(self, url: str, extra: dict[str, str]) -> None:
        body = self._send(url, {**self.fields(), **extra})
        self._answered = True
        try:
            root = ET.fromstring(body)
        except ET.ParseError as exc:
            raise RuntimeError(f"not XML, the provider would end the call ({exc}): {body[:200]!r}") from None
        if root.tag != "Response":
            raise RuntimeError(f"the answer is <{root.tag}>, not <Response>: the provider would end the call")
        self.waiting = None
        self._execute(list(root), url)

    def _send(self, url: str, form: dict[str, str]) -> str:
        headers = {}
        if self.provider == TWILIO and self.auth_token:
            headers["X-Twilio-Signature"] = RequestValidator(self.auth_token).compute_signature(url, form)
        self.lines.append(Line("post", masked(url), " ".join(f"{k}={v}" for k, v in form.items())))
        status, body = self.post(url, form, headers)
        if not 200 <= status < 300:
            hint = ""
            if status == 403:
                hint = (" (is --auth-token the gateway's TWILIO_AUTH_TOKEN, and --public-url its PUBLIC_BASE_URL?)"
                        if self.provider == TWILIO else " (is --token the gateway's AT_WEBHOOK_TOKEN?)")
            raise RuntimeError(f"gateway answered HTTP {status} to {masked(url)}{hint}: {body[:200]}")
        return body

    def _execute(self, verbs: list[ET.Element], url: str) -> None:
        """Run the document's verbs in order until one waits for the caller, one ends the call, or none are left."""
        for i, verb in enumerate(verbs):
            tag = verb.tag
            if tag in ("Say", "Play", "Pause"):
                self._speak(verb)
            elif tag in ("Gather", "GetDigits", "Record"):
                for prompt in verb:
                    self._speak(prompt)
                self.waiting = waiting_for(verb, self.provider, url, self.first_url, verbs[i + 1:])
                self.lines.append(Line("wait", self.waiting.describe()))
                return
            elif tag == "Redirect":
                if verb.get("method", "POST").upper() != "POST":
                    raise RuntimeError(f"<Redirect method={verb.get('method')}> is not simulated")
                self._request(urljoin(url, (verb.text or "").strip()), {})
                return
            elif tag == "Hangup":
                self._end("the gateway hung up")
                return
            elif tag == "Reject":
                self._end(f"rejected unanswered ({verb.get('reason', 'rejected')}), the caller pays nothing",
                          rejected=True)
                return
            else:
                self.lines.append(Line("note", f"<{tag}> is not simulated"))
                self._end(f"at <{tag}>")
                return
        self._end("nothing more to do, the provider hangs up")

    def _speak(self, verb: ET.Element) -> None:
        line, seconds = heard(verb, self.provider)
        self.seconds += seconds
        self.lines.append(line)

    def _end(self, why: str, rejected: bool = False) -> None:
        """The call is over, whichever side ended it: the provider's last word about it goes to the gateway."""
        self.ended, self.waiting = True, None
        seconds = 0 if rejected else self.seconds
        if self.provider == TWILIO:
            form = {**self.fields(), "CallStatus": "busy" if rejected else "completed", "CallDuration": str(seconds)}
            self._send(f"{self.base_url}/twilio/voice/status", form)
            self.lines.append(Line("end", f"{why}; {seconds} s"))
        else:
            money = currency(self.to)
            amount = (AT_RATE_PER_MINUTE[money] * seconds / 60).quantize(Decimal("0.0001"), ROUND_HALF_UP)
            form = {**self.fields(), "isActive": "0", "durationInSeconds": str(seconds), "amount": str(amount),
                    "currencyCode": money}
            self._send(self.first_url, form)
            self.lines.append(Line("end", f"{why}; {seconds} s, {money} {amount}"))
