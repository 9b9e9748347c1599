"""The console phone's call to the hotline, as Twilio (signed, TwiML) or Africa's Talking (token, AT's XML) carries
it: the first ring, each turn's keys or silence, and the hang-up that closes the call log. What the caller would
hear is drawn by phone.js: the Say texts, and the Play clips with a player where the app serves the clip."""
from __future__ import annotations

import time
import uuid
from decimal import Decimal

from flask import abort, jsonify, request, session

from console import phone_wire as wire
from console.i18n import _
from console.phone_wire import audit, number
from console.security import requires, service
from service.simulated_phones import at_call_form, twilio_call_form

HOTLINES = {wire.TWILIO: "+912071177300", wire.AFRICASTALKING: "+254711082300"}  # when none is configured
PATHS = {wire.TWILIO: "/twilio/voice", wire.AFRICASTALKING: "/africastalking/voice"}
DIGITS = frozenset("0123456789*#")


def _hotline(settings, provider: str) -> str:
    if provider == wire.TWILIO:
        return settings.twilio_from or HOTLINES[provider]
    return settings.at_voice_number or HOTLINES[provider]


def _form(settings, call: dict, ringing: bool = False) -> dict[str, str]:
    hotline = _hotline(settings, call["provider"])
    if call["provider"] == wire.TWILIO:
        return twilio_call_form(call["id"], settings.twilio_account_sid or "AC" + "0" * 32, number(), hotline,
                                "ringing" if ringing else "in-progress")
    return at_call_form(call["id"], number(), hotline)


@requires("agronomist")
def voice():
    """action=call (provider) rings the hotline; action=keys (digits) or action=silence answers the turn;
    action=hangup ends the call."""
    settings, action = service().settings, request.form.get("action")
    call = session.get("phone_call")
    if action == "call":
        provider = request.form.get("provider", wire.TWILIO)
        if provider not in PATHS:
            abort(400, description=_("Call through Twilio or Africa's Talking."))
        call = {"provider": provider, "started": time.time(),
                "id": ("CA" if provider == wire.TWILIO else "ATVId_") + uuid.uuid4().hex}
        audit("phone_call_placed", provider=provider)
        form, turn = _form(settings, call, ringing=True), None
    elif call is None or call.get("ended"):
        abort(400, description=_("No call: call the hotline first."))
    elif action == "hangup":
        return jsonify(_hang_up(settings, call))
    elif action == "keys":
        digits = request.form.get("digits", "")
        if not (0 < len(digits) <= 8 and set(digits) <= DIGITS) or not call.get("keys"):
            abort(400, description=_("Press a key the call is waiting for."))
        key = "Digits" if call["provider"] == wire.TWILIO else "dtmfDigits"
        form, turn = {**_form(settings, call), key: digits}, call["keys"]
    elif action == "silence" and call.get("silence"):
        form, turn = _form(settings, call), call["silence"]
    else:
        abort(400, description=_("The call is not waiting for that."))
    answer = wire.post(settings, call["provider"], PATHS[call["provider"]], form, turn)
    heard = wire.read_voice(answer.body) if answer.status == 200 else wire.Heard()
    call.update(keys=heard.keys_turn, silence=heard.silence_turn, ended=heard.ended)
    session["phone_call"] = call
    if heard.ended:
        _hang_up(settings, call)
    return jsonify(status=answer.status, said=heard.said, ended=heard.ended,
                   clips=[{"path": path, "exists": wire.clip_exists(path)} for path in heard.clips],
                   listening="keys" if heard.keys_turn else ("recording" if heard.recording else None),
                   posted=form, error=None if answer.status == 200 else answer.body[:300])


def _hang_up(settings, call: dict) -> dict:
    """The provider's last word: Twilio's status callback, or AT's isActive=0 with duration and cost."""
    seconds = max(1, round(time.time() - call["started"]))
    if call["provider"] == wire.TWILIO:
        form = {**_form(settings, call), "CallStatus": "completed", "CallDuration": str(seconds)}
        answer = wire.post(settings, wire.TWILIO, "/twilio/voice/status", form)
    else:
        amount = (Decimal("2.40") * seconds / 60).quantize(Decimal("0.0001"))  # a made-up rate, in rupees
        form = {**_form(settings, call), "isActive": "0", "durationInSeconds": str(seconds), "amount": str(amount),
                "currencyCode": "INR"}
        answer = wire.post(settings, wire.AFRICASTALKING, PATHS[wire.AFRICASTALKING], form)
    call.update(ended=True, keys=None, silence=None)
    session["phone_call"] = call
    return {"status": answer.status, "said": [], "clips": [], "ended": True, "listening": None, "posted": form,
            "seconds": seconds, "error": None if answer.status in (200, 204) else answer.body[:300]}
