"""A call carried by Plivo (India): CallUUID a uuid, numbers written as digits without the plus, the number's answer
URL /plivo/voice (its first request with Event=StartApp), every request signed with X-Plivo-Signature-V3 and its
nonce by the SDK's own plivo.utils.signature_v3, Plivo XML (Speak, Play, Wait, GetInput with keys and speech,
GetDigits, Record, Redirect, Hangup, Dial), and the hangup URL /plivo/voice/status with the duration, the billed
duration and the cost (USD) when the call is over.

As Plivo documents them: a GetInput or Record that hears nothing moves on to the next element; redirect="false"
tells the action and goes on with the document; <Hangup reason="rejected"> (or "busy") leaves the call unanswered.
"""
from __future__ import annotations

import secrets
import uuid
from xml.etree import ElementTree as ET

from plivo.utils.signature_v3 import construct_post_url, get_signature_v3

from service.providers.plivo import digits
from simulator.carriers.base import Carrier
from simulator.network import PLIVO_RATE_PER_MINUTE
from simulator.voice_verbs import (
    BY_CALLER, BY_DIAL, BY_END_OF_XML, BY_HANGUP, BY_REJECTION, BY_UNKNOWN_VERB, DIAL, HANGUP, LISTEN, PAUSE, PLAY,
    PLIVO, REDIRECT, REJECT, SPEAK, Waiting, action_url, finish_key, whole,
)

BILLING_S = 60  # Plivo bills an Indian call by the whole minute
# Who ended the call and why, as Plivo's hangup callback names them (its "hangup causes" page).
HANGUPS = {BY_CALLER: ("Caller", "Normal Hangup"), BY_HANGUP: ("Answer XML", "Normal Hangup"),
           BY_END_OF_XML: ("Plivo", "End Of XML Instructions"), BY_REJECTION: ("Answer XML", "Rejected"),
           BY_DIAL: ("Caller", "Normal Hangup"), BY_UNKNOWN_VERB: ("Error", "Invalid Answer XML")}


def signature_headers(url: str, form: dict[str, str], token: str, nonce: str | None = None) -> dict[str, str]:
    """X-Plivo-Signature-V3 and its nonce, as Plivo signs a callback: the URL it calls (query sorted in) and the
    sorted parameters as text (signing the bytes would read Devanagari speech as Latin-1), then "." and the nonce,
    by the SDK's own functions."""
    nonce = nonce or str(secrets.randbelow(10 ** 20)).zfill(20)  # twenty digits, as Plivo's
    signed = construct_post_url(url, dict(form)).decode("utf-8")
    signature = get_signature_v3(token, signed, nonce).decode("ascii")
    return {"X-Plivo-Signature-V3": signature, "X-Plivo-Signature-V3-Nonce": nonce}


class Plivo(Carrier):
    name, title, hotline = PLIVO, "Plivo", "+918047177300"
    roles = {"Speak": SPEAK, "Play": PLAY, "Wait": PAUSE, "GetInput": LISTEN, "GetDigits": LISTEN, "Record": LISTEN,
             "Redirect": REDIRECT, "Hangup": HANGUP, "Dial": DIAL}
    signed_with = "PLIVO_AUTH_TOKEN"
    refused_hint = " (is --auth-token the gateway's PLIVO_AUTH_TOKEN, and --public-url its PUBLIC_BASE_URL?)"

    def new_call_id(self) -> str:
        return str(uuid.uuid4())

    @property
    def first_url(self) -> str:
        return f"{self.call.base_url}/plivo/voice"

    def fields(self) -> dict[str, str]:
        call = self.call
        form = {"CallUUID": call.call_id, "From": digits(call.phone), "To": digits(call.to),
                "CallStatus": "in-progress", "Direction": "inbound"}
        if not call.answered:
            form["Event"] = "StartApp"
        return form

    def headers(self, url: str, form: dict[str, str]) -> dict[str, str]:
        token = self.call.auth_token
        return signature_headers(url, form, token) if token else {}

    def role(self, verb: ET.Element) -> str | None:
        if verb.tag == "Hangup" and verb.get("reason") in ("rejected", "busy"):
            return REJECT
        return super().role(verb)

    def voice(self, verb: ET.Element) -> str:
        return f"{verb.get('language') or 'en-US'}, {verb.get('voice') or 'WOMAN'}"

    def listen(self, verb: ET.Element, url: str, rest: list[ET.Element]) -> Waiting:
        action = action_url(verb, url, verb.get("action"))
        redirect = (verb.get("redirect") or "true").casefold() != "false"
        if verb.tag == "Record":
            return Waiting(verb, action, rest, keys=False, recording=True, timeout=whole(verb, "timeout", 15),
                           max_length=whole(verb, "maxLength", 60), finish_on_key=finish_key(verb, "1234567890*#"),
                           redirect=redirect)
        if verb.tag == "GetDigits":
            return Waiting(verb, action, rest, num_digits=whole(verb, "numDigits", 99),
                           finish_on_key=finish_key(verb, "#"), timeout=whole(verb, "timeout", 5), redirect=redirect)
        inputs = (verb.get("inputType") or "dtmf").split()
        return Waiting(verb, action, rest, keys="dtmf" in inputs,
                       speech=(verb.get("language") or "en-US") if "speech" in inputs else None,
                       num_digits=whole(verb, "numDigits", None), finish_on_key=finish_key(verb, "#"),
                       timeout=whole(verb, "executionTimeout", 15), redirect=redirect)

    def keys(self, waiting: Waiting, digits: str) -> dict[str, str]:
        if waiting.verb.tag == "GetDigits":
            return {"Digits": digits}
        return {"InputType": "dtmf", "Digits": digits}

    def speech(self, waiting: Waiting, words: str, confidence: float) -> dict[str, str]:
        return {"InputType": "speech", "Speech": words, "SpeechConfidenceScore": f"{confidence:g}"}

    def recording(self, waiting: Waiting, seconds: int) -> dict[str, str]:
        recording_id = str(uuid.uuid4())
        extension = waiting.verb.get("fileFormat") or "mp3"
        url = f"https://media.plivo.com/v1/Account/{self.call.auth_id}/Recording/{recording_id}.{extension}"
        return {"RecordUrl": url, "RecordingID": recording_id, "RecordingDuration": str(seconds),
                "RecordingDurationMs": str(seconds * 1000)}

    def dialled(self, verb: ET.Element) -> str:
        return " ".join(" ".join((n.text or "").split()) for n in verb if n.tag in ("Number", "User"))

    def last_word(self, seconds: int, by: str) -> tuple[str, dict[str, str], str]:
        rejected = by == BY_REJECTION
        billed = 0 if rejected else -(-seconds // BILLING_S) * BILLING_S
        cost = f"{PLIVO_RATE_PER_MINUTE * billed / 60:.5f}"
        source, cause = HANGUPS[by]
        form = {**self.fields(), "Event": "Hangup", "CallStatus": "busy" if rejected else "completed",
                "Duration": str(seconds), "BillDuration": str(billed), "BillRate": f"{PLIVO_RATE_PER_MINUTE:.5f}",
                "TotalCost": cost, "HangupCauseName": cause, "HangupSource": source}
        return f"{self.call.base_url}/plivo/voice/status", form, f", USD {cost}"
