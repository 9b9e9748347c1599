"""Abuse from one client address: an address that makes more than REFUSED_REQUESTS_PER_MINUTE refused requests in a
minute (a wrong token or signature, a path or method that does not exist, a malformed body) gets 429 on everything
it asks without a provider's credential until the minute is over. Requests that succeed cost nothing. A request
that carries a provider's credential (AT's `?token=`, a Twilio, Plivo or Razorpay signature) is never shut out, only
refused by its own check when the credential is wrong: a provider's webhooks, which may share their few egress
addresses with a noisy neighbour, keep working. Health probes are never limited. If Redis is out of reach, nothing
is limited rather than everything refused. Refusals are counted in Redis, so every gateway process shares them.

Behind a load balancer set TRUSTED_PROXIES, or every client has the balancer's address.

The same module gives the console's login limit and the API's per-key rate their limiter (flask-limiter), with
short Redis timeouts of its own so a stalled Redis costs a request a quarter of a second, not five.
"""
from __future__ import annotations

import logging
import time

import redis
from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import TooManyRequests

from service.limits import HITS_KEY
from service.settings import Settings

log = logging.getLogger(__name__)

REFUSED = frozenset({400, 401, 403, 404, 405, 413})
# How long this process trusts the count it last read for an address: a hop without a credential (the embedded
# default, a test) then costs Redis one read per address a second, not one per request; a shut-out starts up to a
# second late.
CACHE_S = 1.0
NEVER_LIMITED = frozenset({"/healthz", "/readyz", "/metrics"})
WINDOW_S = 60
LIMITER_REDIS_TIMEOUT_S = 0.25


def init_app(app: Flask, settings: Settings, client: redis.Redis) -> Limiter:
    allowance = settings.refused_requests_per_minute

    seen: dict[str, tuple[float, int]] = {}  # key -> (until when the count is trusted, the count)

    def key() -> str:
        return f"refused:{get_remote_address()}:{int(time.time()) // WINDOW_S}"

    def refused_so_far(name: str) -> int:
        now = time.monotonic()
        until, count = seen.get(name, (0.0, 0))
        if now >= until:
            if len(seen) > 10_000:  # a scan from many addresses: start again rather than grow
                seen.clear()
            count = int(client.get(name) or 0)
            seen[name] = (now + CACHE_S, count)
        return count

    @app.before_request
    def _shut_out():
        if request.path in NEVER_LIMITED or _carries_a_credential():
            return None
        try:
            refused = refused_so_far(key())
            if refused >= allowance:
                client.hincrby(HITS_KEY, "refused_requests", 1)
        except redis.RedisError:
            return None
        if refused >= allowance:
            raise TooManyRequests(f"{refused} refused requests from this address this minute",
                                  retry_after=WINDOW_S - int(time.time()) % WINDOW_S)
        return None

    @app.after_request
    def _count(response):
        if response.status_code in REFUSED and request.path not in NEVER_LIMITED:
            name = key()
            try:
                with client.pipeline() as pipe:
                    refused, _ = pipe.incr(name).expire(name, 2 * WINDOW_S).execute()
            except redis.RedisError:
                return response
            seen[name] = (time.monotonic() + CACHE_S, refused)  # this process knows at once
            if refused == allowance:
                log.warning("%s made %d refused requests this minute: shut out until it is over",
                            get_remote_address(), refused, extra={"limit": "refused_requests"})
        return response

    storage = settings.redis_url or "memory://"  # the embedded default serves one process: memory is shared enough
    options = ({"socket_timeout": LIMITER_REDIS_TIMEOUT_S, "socket_connect_timeout": LIMITER_REDIS_TIMEOUT_S}
               if settings.redis_url else {})
    limiter = Limiter(get_remote_address, app=app, storage_uri=storage, storage_options=options,
                      headers_enabled=True, strategy="moving-window", swallow_errors=True)
    app.extensions["kheti_limiter"] = limiter
    return limiter


def _carries_a_credential() -> bool:
    return bool(request.args.get("token") or request.headers.get("X-Twilio-Signature")
                or request.headers.get("X-Plivo-Signature-V3") or request.headers.get("X-Razorpay-Signature"))
