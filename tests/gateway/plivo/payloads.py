"""What Plivo posts to us, recorded field by field (the sets its docs and callbacks carry), and its V3 signature made
with the SDK's own functions (simulator.carriers.plivo.signature_headers) over the exact URL called, query included.
Plivo writes numbers without the plus."""
from __future__ import annotations

from urllib.parse import urlsplit

from service.providers.plivo import digits as bare  # Plivo writes numbers without the plus
from simulator.carriers.plivo import signature_headers

AUTH_ID = "MAODUZYTQ0Y2FMYJBLOW"
TOKEN = "plivo-auth-token-for-tests-0123456789"
PUBLIC = "https://kheti.example.org"
FARMER = "+919812345678"
HOTLINE = "918035551234"  # our Plivo number the IVR answers on
MISSED_LINE = "918035559999"  # our Plivo number that is a missed-call line
VOICE_NUMBER = "+918045678900"  # PLIVO_VOICE_NUMBER: what the expert desk's calls show
CALL_UUID = "7c5f3a66-9e3b-11ef-9d2e-6b1a2c3d4e5f"
MESSAGE_UUID = "0936ec98-7c4c-11e4-9bd8-22000afa12b9"
REQUEST_UUID = "d8c6b4a2-9e3b-11ef-9d2e-0242ac120002"  # what Plivo's Call API answered
RECORDING_ID = "c2186400-1c8c-11e4-a664-0026b945b52x"
RECORDING = f"https://media.plivo.com/v1/Account/{AUTH_ID}/Recording/{RECORDING_ID}.mp3"


def signature(url: str, form: dict, *, token: str = TOKEN, nonce: str | None = None) -> dict[str, str]:
    """X-Plivo-Signature-V3 and its nonce as Plivo sends them: HMAC-SHA256 over the URL (sorted query) and the sorted
    POST parameters, then "." and the nonce."""
    return signature_headers(url, form, token, nonce)


def post(client, url: str, form: dict, headers: dict | None = None, **signing):
    """Posted where `url` points, signed over `url` (the public URL Plivo called) unless `headers` are given."""
    parts = urlsplit(url)
    headers = signature(url, form, **signing) if headers is None else headers
    return client.post(parts.path + (f"?{parts.query}" if parts.query else ""), data=form, headers=headers)


def inbound_sms(text: str, *, phone: str = FARMER, uuid: str = MESSAGE_UUID, to: str = HOTLINE) -> dict:
    return {"From": bare(phone), "To": to, "Text": text, "Type": "sms", "MessageUUID": uuid, "Units": "1",
            "TotalRate": "0.00000", "TotalAmount": "0.00000", "MessageIntent": "", "PowerpackUUID": ""}


def delivery_report(status: str, *, uuid: str = MESSAGE_UUID, error: str = "", parent: str | None = None,
                    to: str = FARMER, part: str = "1 of 1", **extra) -> dict:
    """A status callback: ErrorCode is "000" once delivered, empty before, Plivo's code when it failed."""
    return {"MessageUUID": uuid, "ParentMessageUUID": parent or uuid, "PartInfo": part, "Status": status,
            "ErrorCode": error, "To": bare(to), "From": "KHETIS", "Type": "sms", "Units": "1", "TotalRate": "0.00250",
            "TotalAmount": "0.00250", "MCC": "404", "MNC": "45", "Sequence": "2", "PowerpackUUID": "",
            "MessageTime": "2026-07-15 10:20:31.000000+05:30", "QueuedTime": "2026-07-15 10:20:31.120000+05:30",
            "SentTime": "2026-07-15 10:20:32.000000+05:30", "DeliveryReportTime": "", **extra}


def answered(*, uuid: str = CALL_UUID, phone: str = FARMER, line: str = HOTLINE, direction: str = "inbound",
             **extra) -> dict:
    """The answer URL's form, and what every GetInput and Record action repeats: the farmer is From on their own
    call, To on one we placed (which also carries its RequestUUID)."""
    farmer, ours = bare(phone), bare(line)
    form = {"CallUUID": uuid, "From": farmer if direction == "inbound" else ours,
            "To": ours if direction == "inbound" else farmer, "CallStatus": "in-progress", "Direction": direction,
            "Event": "StartApp", "BillRate": "0.00850", "CallerName": f"+{farmer}" if direction == "inbound" else "",
            "SessionStart": "2026-07-15 10:20:31.000000", "STIRVerification": "Not Applicable"}
    if direction == "outbound":  # the API's call: its first leg and request (Plivo's, not our reference)
        form.update(ALegUUID=uuid, ALegRequestUUID=REQUEST_UUID, RequestUUID=REQUEST_UUID)
    return {**form, **extra}


def keys(digits: str, **call) -> dict:
    return answered(**call, InputType="dtmf", Digits=digits)


def speech(said: str, confidence: str = "0.92", **call) -> dict:
    return answered(**call, InputType="speech", Speech=said, SpeechConfidenceScore=confidence)


def no_input(**call) -> dict:
    return answered(**call, InputType="", Digits="", Speech="")


def recorded(url: str = RECORDING, seconds: str = "17", **call) -> dict:
    return answered(**call, RecordUrl=url, RecordingDuration=seconds,
                    RecordingDurationMs=str(int(seconds) * 1000) if seconds.isdigit() else seconds,
                    RecordingStartMs="1784100031000", RecordingEndMs="1784100048000", RecordingID=RECORDING_ID)


def hung_up(status: str = "completed", *, duration: str = "95", cost: str = "0.01020", **call) -> dict:
    return answered(**call, CallStatus=status, Event="Hangup", Duration=duration, BillDuration="120",
                    TotalCost=cost, HangupCause="NORMAL_CLEARING",
                    HangupCauseName="Normal Hangup" if status == "completed" else "No Answer", HangupCauseCode="4000",
                    HangupSource="Caller", StartTime="2026-07-15 10:20:31", AnswerTime="2026-07-15 10:20:33",
                    EndTime="2026-07-15 10:22:08")
