"""A call carried by Africa's Talking: sessionId ATVId_..., one voice URL for every step (with the gateway's
AT_WEBHOOK_TOKEN in its query when it has one), AT's XML (Say in English, Play, GetDigits for keys only, Record,
Redirect, Reject, Dial), and isActive=0 with the duration and the amount when the call is over. AT recognises no
speech."""
from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from service.simulated_phones import at_call_form
from simulator.carriers.base import Carrier
from simulator.network import AT_RATE_PER_MINUTE, currency
from simulator.voice_verbs import (
    AFRICASTALKING, DIAL, HANGUP, LISTEN, PLAY, REDIRECT, REJECT, SPEAK, NotHeard, Waiting, action_url, finish_key,
    whole,
)


class AfricasTalking(Carrier):
    name, title, hotline = AFRICASTALKING, "Africa's Talking", "+254711082300"
    roles = {"Say": SPEAK, "Play": PLAY, "GetDigits": LISTEN, "Record": LISTEN, "Redirect": REDIRECT,
             "Hangup": HANGUP, "Reject": REJECT, "Dial": DIAL}
    hears_speech = False
    refused_hint = " (is --token the gateway's AT_WEBHOOK_TOKEN?)"

    def new_call_id(self) -> str:
        return "ATVId_" + uuid.uuid4().hex

    @property
    def first_url(self) -> str:
        query = f"?{urlencode({'token': self.call.token})}" if self.call.token else ""
        return f"{self.call.base_url}/africastalking/voice{query}"

    def fields(self) -> dict[str, str]:
        call = self.call
        return at_call_form(call.call_id, call.phone, call.to)

    def voice(self, verb: ET.Element) -> str:
        return f"English, {verb.get('voice') or 'woman'}"

    def listen(self, verb: ET.Element, url: str, rest: list[ET.Element]) -> Waiting:
        action = action_url(verb, url, verb.get("callbackUrl") or self.first_url)
        timeout = whole(verb, "timeout", 5)
        if verb.tag == "Record":
            return Waiting(verb, action, rest, keys=False, recording=True, timeout=timeout,
                           max_length=whole(verb, "maxLength", 3600), finish_on_key=finish_key(verb, "1234567890*#"))
        return Waiting(verb, action, rest, num_digits=whole(verb, "numDigits", None),
                       finish_on_key=finish_key(verb, "#"), timeout=timeout)

    def keys(self, waiting: Waiting, digits: str) -> dict[str, str]:
        return {"dtmfDigits": digits}

    def speech(self, waiting: Waiting, words: str, confidence: float) -> dict[str, str]:
        raise NotHeard("Africa's Talking recognises no speech: its GetDigits hears keys only (the gateway records a "
                       "spoken answer instead, type record there). Try --provider twilio or plivo")

    def recording(self, waiting: Waiting, seconds: int) -> dict[str, str]:
        return {"recordingUrl": f"https://voice.africastalking.com/recordings/{self.call.call_id}/"
                                f"{uuid.uuid4().hex}.mp3"}

    def dialled(self, verb: ET.Element) -> str:
        return verb.get("phoneNumbers") or super().dialled(verb)

    def last_word(self, seconds: int, by: str) -> tuple[str, dict[str, str], str]:
        money = currency(self.call.to)
        amount = (AT_RATE_PER_MINUTE[money] * seconds / 60).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        form = {**self.fields(), "isActive": "0", "durationInSeconds": str(seconds), "amount": str(amount),
                "currencyCode": money}
        return self.first_url, form, f", {money} {amount}"
