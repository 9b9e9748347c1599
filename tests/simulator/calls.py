"""What the simulator tests share: the gateway's credentials, and reading what a caller heard."""
from sqlalchemy import select

from dialogs.texts import N_
from farmdb.models import CallLog

AUTH = "twilio-voice-token"
PLIVO_ID = "MA" + "KHETI" * 3 + "PLI"  # "MA" and 18 characters, as Plivo's auth ids are
PLIVO_AUTH = "plivo-voice-token"
PUBLIC = "https://voice.example.org"
AT_TOKEN = "at-voice-token"
CALLER = "+919812345678"
MISSED_CALL_LINE = "+912071177399"


def said(lines):
    return [line.text for line in lines if line.kind == "say"]


def posts(lines):
    return [line for line in lines if line.kind == "post"]


def key_for(lines, label, t):
    """The key the prompt said to press for `label` (AT says a turn's phrases as one Say)."""
    spoken = " ".join(said(lines))
    for n in range(1, 10):
        if t(N_("voice.press"), label=label, number=n) in spoken:
            return str(n)
    raise AssertionError(f"{label!r} was not offered: {said(lines)}")


def call_log(db, provider, call_id):
    db.rollback()
    return db.scalar(select(CallLog).where(CallLog.provider == provider, CallLog.call_id == call_id))


def canned(*documents):
    """A gateway that answers each request with the next document, and remembers what was posted: (url, form,
    headers) each. The provider's last word gets no document."""
    sent, answered = [], []

    def post(url, form, headers):
        sent.append((url, form, headers))
        if url.endswith("/status") or form.get("isActive") == "0":
            return 204, ""
        answered.append(url)
        return 200, documents[min(len(answered), len(documents)) - 1]
    return post, sent
