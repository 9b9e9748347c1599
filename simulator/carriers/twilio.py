"""A call carried by Twilio: CallSid CA..., the number's voice URL /twilio/voice, every request signed with
X-Twilio-Signature over the URL Twilio calls (the SDK's RequestValidator), TwiML (Say, Play, Pause, Gather with keys
and speech, Record, Redirect, Hangup, Reject, Dial), and the status callback when the call is over."""
from __future__ import annotations

import uuid
from xml.etree import ElementTree as ET

from service.simulated_phones import twilio_call_form, twilio_signature
from simulator.carriers.base import Carrier
from simulator.voice_verbs import (
    BY_REJECTION, DIAL, HANGUP, LISTEN, PAUSE, PLAY, REDIRECT, REJECT, SPEAK, TWILIO, Waiting, action_url,
    finish_key, whole,
)


class Twilio(Carrier):
    name, title, hotline = TWILIO, "Twilio", "+912071177300"
    roles = {"Say": SPEAK, "Play": PLAY, "Pause": PAUSE, "Gather": LISTEN, "Record": LISTEN, "Redirect": REDIRECT,
             "Hangup": HANGUP, "Reject": REJECT, "Dial": DIAL}
    signed_with = "TWILIO_AUTH_TOKEN"
    refused_hint = " (is --auth-token the gateway's TWILIO_AUTH_TOKEN, and --public-url its PUBLIC_BASE_URL?)"

    def new_call_id(self) -> str:
        return "CA" + uuid.uuid4().hex

    @property
    def first_url(self) -> str:
        return f"{self.call.base_url}/twilio/voice"

    def fields(self) -> dict[str, str]:
        call = self.call
        return twilio_call_form(call.call_id, call.account_sid, call.phone, call.to,
                                "in-progress" if call.answered else "ringing")

    def headers(self, url: str, form: dict[str, str]) -> dict[str, str]:
        if not self.call.auth_token:
            return {}
        return {"X-Twilio-Signature": twilio_signature(self.call.auth_token, url, form)}

    def voice(self, verb: ET.Element) -> str:
        return ", ".join(v for v in (verb.get("language") or "en-US", verb.get("voice")) if v)

    def listen(self, verb: ET.Element, url: str, rest: list[ET.Element]) -> Waiting:
        action = action_url(verb, url, verb.get("action") or url)  # Twilio's default: the document's own URL
        timeout = whole(verb, "timeout", 5)
        if verb.tag == "Record":
            return Waiting(verb, action, rest, keys=False, recording=True, timeout=timeout,
                           max_length=whole(verb, "maxLength", 3600), finish_on_key=finish_key(verb, "1234567890*#"))
        inputs = (verb.get("input") or "dtmf").split()
        return Waiting(verb, action, rest, keys="dtmf" in inputs,
                       speech=(verb.get("language") or "en-US") if "speech" in inputs else None,
                       num_digits=whole(verb, "numDigits", None), finish_on_key=finish_key(verb, "#"),
                       timeout=timeout, empty_to_action=verb.get("actionOnEmptyResult") == "true")

    def keys(self, waiting: Waiting, digits: str) -> dict[str, str]:
        return {"Digits": digits}

    def speech(self, waiting: Waiting, words: str, confidence: float) -> dict[str, str]:
        return {"SpeechResult": words, "Confidence": f"{confidence:g}"}

    def recording(self, waiting: Waiting, seconds: int) -> dict[str, str]:
        sid = "RE" + uuid.uuid4().hex
        url = f"https://api.twilio.com/2010-04-01/Accounts/{self.call.account_sid}/Recordings/{sid}"
        form = {"RecordingUrl": url, "RecordingSid": sid, "RecordingDuration": str(seconds)}
        if waiting.finish_on_key and seconds < waiting.max_length:
            form["Digits"] = waiting.finish_on_key[0]  # the caller finished with the key
        return form

    def dialled(self, verb: ET.Element) -> str:
        numbers = [" ".join((n.text or "").split()) for n in verb.iter("Number")]
        return " ".join(numbers) or super().dialled(verb)

    def last_word(self, seconds: int, by: str) -> tuple[str, dict[str, str], str]:
        form = {**self.fields(), "CallStatus": "busy" if by == BY_REJECTION else "completed",
                "CallDuration": str(seconds)}
        return f"{self.call.base_url}/twilio/voice/status", form, ""
