"""An inbound SMS from any provider's webhook, handed to the core's inbox (service.sms_inbox)."""
from __future__ import annotations

import logging

import redis
from flask import abort

from dialogs.store import Busy
from gateway import context
from service.sms_inbox import Inbound, handle

log = logging.getLogger(__name__)


def answer_sms(inbound: Inbound) -> str | None:
    """The reply to store-and-answer. When the conversation's lock or Redis cannot be had: 503, so the provider
    delivers the message again later (Africa's Talking retries for about ten minutes); nothing is stored half-done."""
    try:
        return handle(context.conversations(), inbound)
    except (Busy, redis.RedisError) as exc:
        log.error("inbound SMS deferred: %s: %s", type(exc).__name__, exc)
        abort(503, description="busy, please deliver this message again")
