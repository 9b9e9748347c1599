"""An inbound SMS, whatever the provider: stored once, read, answered.

The message row is written first, keyed by the provider's message id: a provider retry finds it and gets the same
reply without anything being done again. The answer's effects and, for providers that want replies sent through
their API (Africa's Talking), the reply's outbox row are written in the same transaction, and the send is queued
after it commits. Twilio takes the reply inline (TwiML), so it is only returned.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dialogs import sms
from dialogs.effects import EraseFarmer, ForgetNumber
from dialogs.sms.keywords import DELETE_WORDS
from dialogs.store import held
from farmdb.farmers import ERASURE_NOTICE
from farmdb.models import InboundMessage
from farmdb.phones import InvalidPhoneNumber, to_e164
from farmdb.types import utcnow
from nlu.parser import Parse
from service.conversations import Conversations, chat_key
from service.effects import apply_effects
from service.outbox import queue_sms

log = logging.getLogger(__name__)
CHAT_TTL_S = 24 * 3600  # a registration by SMS may take a day of replies, not longer


@dataclass(frozen=True)
class Inbound:
    provider: str  # africastalking | twilio
    provider_message_id: str
    phone: str  # E.164
    to: str | None
    text: str
    link_id: str | None = None  # AT on-demand/premium: must go back with the reply
    send_reply: bool = False  # True: queue the reply through the outbox (AT); False: the caller returns it inline


def handle(conversations: Conversations, inbound: Inbound, parse: Parse | None = None) -> str | None:
    """Returns the reply text (None: nothing to say, e.g. an opted-out farmer writing). `parse` is given when
    something else already read the message (a Rasa assistant); otherwise our parser reads it. Messages from one
    phone are handled one at a time: two quick replies in a registration must not both read the same step."""
    with held(conversations.backends.redis, chat_key(inbound.phone) + ":lock"):
        return _handle(conversations, inbound, parse)


def rasa_answer(conversations: Conversations) -> Callable[[str, str, Parse, str], str | None]:
    """The Rasa action server's answers (nlu.rasa_actions): a message Rasa has read, answered as an SMS would be."""
    def answer(sender: str, text: str, parse: Parse, message_id: str) -> str | None:
        try:
            phone = to_e164(sender, conversations.settings.default_region)
        except InvalidPhoneNumber:
            log.warning("Rasa conversation without a phone number as sender_id: nothing answered")
            return None
        return handle(conversations, Inbound(provider="rasa", provider_message_id=message_id, phone=phone, to=None,
                                             text=text), parse=parse)
    return answer


def _always_answered(inbound: Inbound, parse: Parse, chat) -> bool:
    """STOP, START, DELETE and the answer to "delete everything?": a farmer's say over their messages and their data
    is never rate-limited."""
    return (parse.keyword and parse.intent in ("opt_out", "register")) or chat.step == "confirm_delete" or \
        inbound.text.strip().casefold().strip(".!") in DELETE_WORDS


def _keep_unanswered(backends, inbound: Inbound, parse: Parse) -> None:
    """Over the phone's reply limit (service.limits): the message is kept, for the desk and the record, with why it
    was not answered; no reply and no effect."""
    with backends.sessions() as db, db.begin():
        db.add(InboundMessage(provider=inbound.provider, provider_message_id=inbound.provider_message_id,
                              channel="sms", phone=inbound.phone, to_address=inbound.to, text=inbound.text,
                              link_id=inbound.link_id, intent=parse.intent,
                              extra={"reply": None, "limited": "sms_replies"}, processed_at=utcnow()))
    return None


def _handle(conversations: Conversations, inbound: Inbound, parse: Parse | None = None) -> str | None:
    backends, services = conversations.backends, conversations.sms_services
    with backends.sessions() as db, db.begin():
        existing = db.scalar(select(InboundMessage).where(
            InboundMessage.provider == inbound.provider,
            InboundMessage.provider_message_id == inbound.provider_message_id))
        if existing is not None:
            log.info("SMS already handled; answering as before", extra={"provider": inbound.provider})
            return existing.extra.get("reply")
    parse = parse or conversations.parser.parse(inbound.text)
    chat = _load_chat(backends.redis, inbound.phone)
    if not _always_answered(inbound, parse, chat) and not conversations.limits.sms_reply(inbound.phone):
        return _keep_unanswered(backends, inbound, parse)
    profile = services.profile(inbound.phone)
    message = sms.Message(inbound.phone, inbound.text, parse, message_id=inbound.provider_message_id)
    chat, text, effects = sms.reply(message, profile, chat, services)
    erased = any(isinstance(e, (EraseFarmer, ForgetNumber)) for e in effects)
    try:
        with backends.sessions() as db, db.begin():
            row = InboundMessage(provider=inbound.provider, provider_message_id=inbound.provider_message_id,
                                 channel="sms", phone=inbound.phone, to_address=inbound.to, text=inbound.text,
                                 link_id=inbound.link_id, intent=parse.intent,
                                 farmer_id=profile.farmer_id if profile else None,
                                 extra={"reply": text, "confidence": round(parse.confidence, 3),
                                        "entities": parse.entities})
            db.add(row)
            db.flush()  # a racing copy of this message fails here, before any effect
            applied = apply_effects(conversations.service, db, effects)
            row.farmer_id = row.farmer_id or applied.registered_farmer_id
            if text and inbound.send_reply:
                locale = _reply_locale(profile, chat, parse, effects)
                # An erasure's notice keeps the number until it has gone (workers.sending forgets it then).
                queue_sms(conversations.service, db, phone=inbound.phone, body=text, locale=locale,
                          category="service_implicit", purpose=ERASURE_NOTICE if erased else "reply",
                          farmer_id=row.farmer_id,
                          idempotency_key=f"reply:{inbound.provider}:{inbound.provider_message_id}")
            row.processed_at = utcnow()
    except IntegrityError:
        log.info("SMS handled by a racing copy", extra={"provider": inbound.provider})
        with backends.sessions() as db:
            existing = db.scalar(select(InboundMessage).where(
                InboundMessage.provider == inbound.provider,
                InboundMessage.provider_message_id == inbound.provider_message_id))
            return existing.extra.get("reply") if existing else None
    if erased:
        conversations.forget_caller(inbound.phone, applied.erased_call_ids)
    else:
        _save_chat(backends.redis, inbound.phone, chat)
    return text


def _reply_locale(profile, chat, parse, effects) -> str:
    for effect in effects:
        if getattr(effect, "locale", None):
            return effect.locale
    return profile.locale if profile else (chat.locale or parse.language)


def _load_chat(redis, phone: str) -> sms.Chat:
    raw = redis.get(chat_key(phone))
    return sms.Chat.from_dict(json.loads(raw)) if raw else sms.Chat()


def _save_chat(redis, phone: str, chat: sms.Chat) -> None:
    if chat.step or chat.locale:
        redis.set(chat_key(phone), json.dumps(chat.to_dict(), ensure_ascii=False), ex=CHAT_TTL_S)
    else:
        redis.delete(chat_key(phone))

