"""A Plivo call through the real app, for the voice tests: it posts what Plivo posts, signed, follows the action
URLs of the XML it gets back, and says what the caller heard."""
from __future__ import annotations

from xml.etree import ElementTree

from sqlalchemy import select

from farmdb.models import CallLog
from tests.gateway.plivo.payloads import PUBLIC, RECORDING, answered, hung_up, keys, post, recorded, speech

VOICE, STATUS = f"{PUBLIC}/plivo/voice", f"{PUBLIC}/plivo/voice/status"


class Clips:
    """The audio built ahead of calls, as the app sees it: every turn has its clip; remembers what each URL says."""

    def __init__(self):
        self.turns: list[list[str]] = []

    def prompt_url(self, phrases, locale, request_root=""):
        self.turns.append(list(phrases))
        return f"{PUBLIC}/voice/audio/{locale}/play/{len(self.turns) - 1}.wav"


class Call:
    """One Plivo call through the real app: posts what Plivo posts, signed, and follows the XML's action URLs."""

    def __init__(self, client, clips=None, reference=None, kind="callback", **call):
        self.client, self.clips, self.reference, self.kind, self.call = client, clips, reference, kind, call
        self.xml = None

    def post(self, url, form, status=200):
        response = post(self.client, url, form)
        assert response.status_code == status, response.get_data(as_text=True)
        assert response.mimetype == "application/xml"
        self.xml = ElementTree.fromstring(response.get_data())
        assert self.xml.tag == "Response"
        return self

    @property
    def action(self) -> str:
        return next(e for e in self.xml if e.tag in ("GetInput", "Record")).get("action")

    @property
    def redirect(self) -> str:
        return self.xml.find("Redirect").text

    def start(self):
        return self.post(VOICE + self._placed(), answered(**self.call))

    def _placed(self) -> str:
        """The query of a call we placed: our reference and what the call is for."""
        return f"?call={self.reference}&kind={self.kind}" if self.reference else ""

    def press(self, digits):
        return self.post(self.action, keys(digits, **self.call))

    def say(self, said, confidence="0.92"):
        return self.post(self.action, speech(said, confidence, **self.call))

    def silence(self):  # Plivo heard nothing: it goes on to the Redirect after the GetInput or Record
        return self.post(self.redirect, answered(**self.call))

    def record(self, url=RECORDING, seconds="17"):
        return self.post(self.action, recorded(url, seconds, **self.call))

    def hang_up(self, **status):
        url = STATUS + self._placed()
        response = post(self.client, url, hung_up(**status, **self.call))
        assert response.status_code == 204, response.get_data(as_text=True)
        return self

    @property
    def said(self) -> list[str]:
        """What the caller hears: the Speak texts, or the phrases of the clip played."""
        play = self.xml.find(".//Play")
        if play is not None:
            return self.clips.turns[int(play.text.rsplit("/", 1)[1].removesuffix(".wav"))]
        return [speak.text for speak in self.xml.iter("Speak")]

    @property
    def spoken(self) -> str:
        return " ".join(self.said)


def logs(sessions, kind=None) -> list[CallLog]:
    with sessions() as db:
        query = select(CallLog).order_by(CallLog.id)
        return db.scalars(query.where(CallLog.kind == kind) if kind else query).all()
