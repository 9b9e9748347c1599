"""A phone that speaks USSD the way Africa's Talking does: the same form fields, `text` accumulating every input
joined by '*'. `kheti simulate ussd` drives it from a terminal over HTTP; the tests drive it through the Flask app."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Callable

import requests

Post = Callable[[dict[str, str]], tuple[int, str]]  # form fields -> (HTTP status, body)


@dataclass
class UssdPhone:
    post: Post
    phone: str = "+919876543210"
    service_code: str = "*384*123#"
    network_code: str = "40410"  # an Indian network (Airtel, Kolkata); AT's Kenyan ones are 63902, 63903
    session_id: str = field(default_factory=lambda: f"ATUid_{uuid.uuid4().hex[:24]}")
    inputs: list[str] = field(default_factory=list)
    screen: str = ""
    ended: bool = False

    @property
    def text(self) -> str:
        return "*".join(self.inputs)

    def payload(self) -> dict[str, str]:
        return {"sessionId": self.session_id, "serviceCode": self.service_code, "phoneNumber": self.phone,
                "networkCode": self.network_code, "text": self.text}

    def dial(self) -> str:
        """Start a new session (AT sends text="")."""
        self.session_id, self.inputs, self.ended = f"ATUid_{uuid.uuid4().hex[:24]}", [], False
        return self._send()

    def press(self, answer: str) -> str:
        if self.ended:
            raise RuntimeError("the session has ended; dial again")
        self.inputs.append(answer)
        return self._send()

    def resend(self) -> str:
        """The operator sends the same hop again."""
        return self._send()

    def _send(self) -> str:
        status, body = self.post(self.payload())
        if status != 200:
            raise RuntimeError(f"gateway answered HTTP {status}: {body[:200]}")
        kind, _, self.screen = body.partition(" ")
        if kind not in ("CON", "END"):
            raise RuntimeError(f"not a USSD answer (AT would end the session): {body[:200]!r}")
        self.ended = kind == "END"
        return self.screen


def http_post(url: str, token: str | None = None, timeout: float = 10) -> Post:
    params = {"token": token} if token else None

    def post(form: dict[str, str]) -> tuple[int, str]:
        response = requests.post(url, data=form, params=params, timeout=timeout)
        return response.status_code, response.text
    return post
