"""The dialogs as the channels use them: the one dialog, its services, and how one step is taken.

A step runs the pure engine, then carries out its effects in one transaction; when the step registered a farmer,
the session's provisional profile gets the new farmer's id.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Callable

from dialogs.effects import EraseFarmer
from dialogs.engine import resume
from dialogs.flows import farmer_dialog
from dialogs.model import Event, Reply, Session
from dialogs.store import SessionStore
from dialogs.ussd import UssdLayout
from dialogs.voice import VoiceLayout
from gateway.backends import Backends
from gateway.effects import apply_effects
from gateway.services import GatewayServices
from gateway.services.reference import ReferenceData
from gateway.services.weather import weather_service
from gateway.settings import Settings

CALL_TTL = 2 * 3600  # no farmer stays on the line longer


class Conversations:
    def __init__(self, settings: Settings, backends: Backends, *, clock: Callable[[], date] | None = None):
        self.settings, self.backends = settings, backends
        self.dialog = farmer_dialog()
        self.reference = ReferenceData(backends.sessions)
        weather = weather_service(settings, backends)
        self.ussd_layout = UssdLayout(settings.ussd_max_chars, settings.ussd_ucs2_max_chars)
        self.ussd_services = GatewayServices(reads=backends.reads, reference=self.reference, weather=weather,
                                             layout=self.ussd_layout, default_locale=settings.default_locale,
                                             timezone=settings.timezone, clock=clock)
        # SMS is not paged: the layout is only there to satisfy the interface.
        self.sms_services = GatewayServices(reads=backends.reads, reference=self.reference, weather=weather,
                                            layout=self.ussd_layout, default_locale=settings.default_locale,
                                            timezone=settings.timezone, clock=clock)
        # On a call the same dialogs are paged by options read out, not by characters on a screen.
        self.voice_layout = VoiceLayout()
        self.voice_services = GatewayServices(reads=backends.reads, reference=self.reference, weather=weather,
                                              layout=self.voice_layout, default_locale=settings.default_locale,
                                              timezone=settings.timezone, clock=clock)
        self._parser = None
        self.ussd_sessions = SessionStore(backends.redis, ttl=settings.ussd_session_ttl,
                                          resume_window=settings.ussd_resume_window, prefix="ussd")
        # One key per call (its call id), kept for as long as a call can last.
        self.voice_calls = SessionStore(backends.redis, ttl=CALL_TTL, resume_window=0, prefix="voice")

    @property
    def parser(self):
        """The SMS reader, loaded on first use (from VAR_DIR, trained there by `make install`)."""
        if self._parser is None:
            from nlu.parser import Parser
            self._parser = Parser(self.settings.var_dir)
            if self.settings.rasa_url:
                from nlu.rasa_client import RasaParser
                self._parser = RasaParser(self.settings.rasa_url, fallback=self._parser)
        return self._parser

    def step(self, session: Session | None, event: Event, services: GatewayServices,
             dropped: Session | None = None) -> tuple[Session, Reply]:
        session, reply, effects = resume(session, event, services, self.dialog, dropped)
        if effects:
            with self.backends.sessions() as db, db.begin():
                applied = apply_effects(db, effects)
            if applied.registered_farmer_id and session.profile:
                session.profile = replace(session.profile, farmer_id=applied.registered_farmer_id)
            if any(isinstance(e, EraseFarmer) for e in effects):
                self.forget_caller(event.phone)
        return session, reply

    def forget_caller(self, phone: str) -> None:
        """After an erasure: what Redis remembers of their SMS conversation goes too."""
        from gateway.sms_inbox import chat_key
        self.backends.redis.delete(chat_key(phone))

    def mid_flow(self, session: Session) -> bool:
        """Kept for the resume window only when a drop would be worth continuing."""
        return self.dialog.resumable(session)
