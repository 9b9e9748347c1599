"""The dialogs as the channels use them: the one dialog, the services it reads on each channel, the session stores,
the SMS reader, and how one step is taken.

A step runs the pure engine, then carries out its effects in one transaction; when the step registered a farmer,
the session's provisional profile gets the new farmer's id.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Callable

import redis
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from dialogs.effects import EraseFarmer
from dialogs.engine import resume
from dialogs.flows import farmer_dialog
from dialogs.model import Event, Reply, Session
from dialogs.store import Busy, SessionStore
from dialogs.ussd import UssdLayout
from dialogs.voice import VoiceLayout
from nlu.parser import Parser
from nlu.rasa_client import RasaParser
from service.context import Service
from service.dialog_services import DialogServices
from service.effects import apply_effects
from service import spool
from service.limits import CallerLimits
from service.prices.freshness import PricesVersion
from service.reference import ReferenceData
from service.weather import weather_service

CALL_TTL = 2 * 3600  # no farmer stays on the line longer
# What a USSD hop or a call's turn cannot be taken without: Redis (the session, its lock) and the database. The
# caller is told "busy", politely, in their language; the provider is never left without an answer.
# (PoolTimeout: every pooled connection is taken, as when each waits on a stalled table.)
UNAVAILABLE = (redis.RedisError, Busy, OperationalError, PoolTimeout)


def chat_key(phone: str) -> str:
    """Where an SMS conversation is remembered between messages (a Redis Cluster hash tag, like the sessions)."""
    return f"sms:{{{phone}}}"


def caller_keys(phone: str, call_ids: list[str] | tuple[str, ...] = ()) -> list[str]:
    """What Redis remembers of a farmer, for an erasure: their SMS conversation, their USSD session and the sessions
    of their calls (SessionStore's keys with the "ussd" and "voice" prefixes below), which hold what they said, and
    the calls' session logs. Their USSD sessions' logs are found by name (forget_in_redis)."""
    return [chat_key(phone), f"ussd:{{{phone}}}", *(f"voice:{{{call_id}}}" for call_id in call_ids),
            *(f"voice:{{{call_id}}}:steps:{call_id}" for call_id in call_ids)]


def forget_in_redis(client, phone: str, call_ids: list[str] | tuple[str, ...] = ()) -> None:
    """Delete caller_keys and the logs of the phone's USSD sessions (one hash slot: ussd:{phone}:steps:<id>)."""
    logs = list(client.scan_iter(match=f"ussd:{{{phone}}}:steps:*", count=100))
    client.delete(*caller_keys(phone, call_ids), *logs)


class Conversations:
    def __init__(self, service: Service, *, today: Callable[[], date] | None = None):
        """`today` pins the farmers' calendar day (tests); otherwise it is today in TIMEZONE."""
        self.service = service
        self.settings, self.backends = service.settings, service.backends
        settings, backends = self.settings, self.backends
        self.dialog = farmer_dialog()
        self.limits = CallerLimits(backends.redis, sms_replies_per_hour=settings.sms_replies_per_hour,
                                   ussd_sessions_per_minute=settings.ussd_sessions_per_minute)
        self.reference = ReferenceData(backends.sessions)
        weather = weather_service(settings, backends)
        prices_version = PricesVersion(backends.redis).current  # one per process: a Redis GET a minute at most

        def services(layout) -> DialogServices:
            return DialogServices(reads=backends.reads, reference=self.reference, weather=weather, layout=layout,
                                  default_locale=settings.default_locale, timezone=settings.timezone, today=today,
                                  prices_version=prices_version, grievance_contact=settings.grievance_contact,
                                  price_stale_days=settings.price_stale_days)

        self.ussd_layout = UssdLayout(settings.ussd_max_chars, settings.ussd_ucs2_max_chars)
        self.ussd_services = services(self.ussd_layout)
        self.sms_services = services(self.ussd_layout)  # SMS is not paged: the layout only fills the interface
        # On a call the same dialogs are paged by options read out, not by characters on a screen.
        self.voice_layout = VoiceLayout()
        self.voice_services = services(self.voice_layout)
        self._parser = None
        self.ussd_sessions = SessionStore(backends.redis, ttl=settings.ussd_session_ttl,
                                          resume_window=settings.ussd_resume_window, prefix="ussd")
        # One key per call (its call id), kept for as long as a call can last.
        self.voice_calls = SessionStore(backends.redis, ttl=CALL_TTL, resume_window=0, prefix="voice")

    @property
    def parser(self) -> Parser | RasaParser:
        """The SMS reader, its model loaded on first use (from VAR_DIR, trained there by `make install`): a gateway
        that only answers USSD never loads it."""
        if self._parser is None:
            parser = Parser(self.settings.var_dir)
            self._parser = RasaParser(self.settings.rasa_url, fallback=parser) if self.settings.rasa_url else parser
        return self._parser

    def step(self, session: Session | None, event: Event, services: DialogServices,
             dropped: Session | None = None) -> tuple[Session, Reply]:
        session, reply, effects = resume(session, event, services, self.dialog, dropped)
        if effects:
            with self.backends.hop_transaction() as db:
                applied = apply_effects(self.service, db, effects)
            if applied.registered_farmer_id and session.profile:
                session.profile = replace(session.profile, farmer_id=applied.registered_farmer_id)
            if any(isinstance(e, EraseFarmer) for e in effects):
                self.forget_caller(event.phone, applied.erased_call_ids)
        return session, reply

    def forget_caller(self, phone: str, call_ids: list[str] | tuple[str, ...] = ()) -> None:
        """After an erasure: what Redis remembers of them goes too (caller_keys). A USSD hop or a call's turn that
        erased writes its own last screen back as it ends, without their details: that lives out its TTL."""
        forget_in_redis(self.backends.redis, phone, call_ids)
        spool.forget(self.backends.redis, phone)

    def mid_flow(self, session: Session) -> bool:
        """Kept for the resume window only when a drop would be worth continuing."""
        return self.dialog.resumable(session)
