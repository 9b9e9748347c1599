"""The console's phone on the wire: a provider's request handed to the app's own WSGI stack in-process (the same
routes, token and signature checks and dialogs a real provider's request meets), and its answer read back.

Secrets (AT_WEBHOOK_TOKEN, TWILIO_AUTH_TOKEN) are added here, server side, and never reach the browser: neither
in the JSON the page draws nor in the session cookie (which is signed, not encrypted), so only turn names are kept.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree as ET

from flask import abort, current_app
from flask_login import current_user

from console.security import audited, service
from service.settings import Settings
from service.simulated_phones import operators_phone, twilio_signature

TWILIO, AFRICASTALKING = "twilio", "africastalking"
LOCAL = "http://localhost"


@dataclass(frozen=True)
class Answer:
    status: int
    body: str


def number() -> str:
    """The signed-in operator's own phone number, from SIMULATOR_NUMBERS (409 when it is not set)."""
    found = operators_phone(service().settings, current_user.id)
    if found is None:
        abort(409, description="SIMULATOR_NUMBERS is not set: the console has no phone until numbers that no "
                               "farmer has are set aside for it")
    return found


def audit(action: str, **detail) -> None:
    """Audited in a transaction of its own, committed before the gateway is called (which opens its own)."""
    with service().backends.sessions() as db, db.begin():
        audited(db, action, "phone", number(), **detail)


def base_url(settings: Settings) -> str:
    """The URL the provider calls us at: what Twilio signs and the gateway checks."""
    return settings.public_base_url or LOCAL


def post(settings: Settings, provider: str, path: str, form: dict[str, str], turn: str | None = None) -> Answer:
    """POST `form` to the gateway's `path` as `provider` would: AT with its token in the query, Twilio signed."""
    query, headers = {}, {}
    if turn:
        query["turn"] = turn
    if provider == AFRICASTALKING and settings.at_webhook_token:
        query["token"] = settings.at_webhook_token
    if provider == TWILIO:
        if not settings.twilio_auth_token:
            return Answer(403, "TWILIO_AUTH_TOKEN is not set: the gateway refuses every Twilio request")
        url = base_url(settings) + path + (f"?turn={turn}" if turn else "")
        headers["X-Twilio-Signature"] = twilio_signature(settings.twilio_auth_token, url, form)
    client = current_app.test_client()  # no cookies: the gateway sees a provider, not the operator's session
    # In an app context of its own: the inner request's `g` (its request id, whose reset ends the request) must not
    # be the console request's, or the console's request id would stay on every later log line of this thread.
    with current_app.app_context():
        response = client.post(path, data=form, query_string=query, headers=headers, base_url=base_url(settings))
        return Answer(response.status_code, response.get_data(as_text=True))


def clip_exists(path: str) -> bool:
    """Whether the app serves this clip (a turn's Play URL): only then is an audio player offered."""
    if not path.startswith("/voice/audio/"):
        return False
    with current_app.app_context():  # its own `g`, as in post()
        return current_app.test_client().get(path).status_code == 200


@dataclass
class Heard:
    """What a voice answer (TwiML or AT's XML) makes the caller hear, and how the call goes on."""
    said: list[str] = field(default_factory=list)
    clips: list[str] = field(default_factory=list)  # paths on this app
    keys_turn: str | None = None  # the turn to post keys to (Gather, GetDigits)
    silence_turn: str | None = None  # the turn when nothing is pressed (Redirect, or Twilio's empty Gather)
    recording: bool = False  # the call waits for a spoken answer (Record): the browser sends silence instead
    ended: bool = True


def _turn(url: str | None) -> str | None:
    return parse_qs(urlsplit(url or "").query).get("turn", [None])[0]


def read_voice(xml: str) -> Heard:
    heard = Heard()
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return heard
    for verb in root.iter():
        if verb.tag == "Say" and (verb.text or "").strip():
            heard.said.append(" ".join(verb.text.split()))
        elif verb.tag == "Play":
            heard.clips.append(urlsplit(verb.get("url") or verb.text or "").path)
        elif verb.tag in ("Gather", "GetDigits"):
            heard.keys_turn, heard.ended = _turn(verb.get("action") or verb.get("callbackUrl")), False
            if verb.get("actionOnEmptyResult") == "true":
                heard.silence_turn = heard.keys_turn
        elif verb.tag == "Record":
            heard.recording, heard.ended = True, False
        elif verb.tag == "Redirect":
            heard.silence_turn, heard.ended = _turn(verb.text or verb.get("url")), False
        elif verb.tag in ("Hangup", "Reject"):
            heard.ended = True
            break
    return heard


def read_sms_reply(xml: str) -> str | None:
    """Twilio's inline reply (MessagingResponse's <Message>), if any."""
    try:
        message = ET.fromstring(xml).find("Message")
    except ET.ParseError:
        return None
    return None if message is None else (message.text or "")
