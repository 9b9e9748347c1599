"""What a screen may look at while handling one hop: the caller's session, what they did, the read-only services,
and the effects the hop has decided so far. Screens and flows take it; the engine makes one per hop."""
from __future__ import annotations

from dataclasses import dataclass, field

from dialogs.effects import Effect
from dialogs.model import Event, Profile, Session
from dialogs.services import FarmServices
from dialogs.texts import Texts, texts


@dataclass
class Ctx:
    session: Session
    event: Event
    services: FarmServices
    effects: list[Effect] = field(default_factory=list)

    @property
    def t(self) -> Texts:
        return texts(self.session.locale, self.event.latin)

    @property
    def profile(self) -> Profile | None:
        return self.session.profile
