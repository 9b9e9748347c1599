"""Abuse from one client address, as flask-limiter counts it in Redis (so every gateway process shares the count):
an address that makes more than REFUSED_REQUESTS_PER_MINUTE refused requests in a minute (a wrong token or
signature, a path that does not exist, a malformed body) gets 429 on everything until the minute has passed.
Requests that succeed cost nothing, so a provider's webhooks at full rate are never limited. The same limiter
carries the console's login limit and the API's per-key rate.

Behind a load balancer set TRUSTED_PROXIES, or every client has the balancer's address and one prober would shut
the door on all. Health probes are never limited. If Redis is out of reach, nothing is limited (the error is logged)
rather than everything refused.
"""
from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from service.settings import Settings

REFUSED = frozenset({400, 401, 403, 404, 405, 413})
NEVER_LIMITED = frozenset({"/healthz", "/readyz", "/metrics"})


def init_app(app: Flask, settings: Settings) -> Limiter:
    storage = settings.redis_url or "memory://"  # the embedded default serves one process: memory is shared enough
    limiter = Limiter(
        get_remote_address, app=app, storage_uri=storage, headers_enabled=True, strategy="moving-window",
        application_limits=[f"{settings.refused_requests_per_minute} per minute"],
        application_limits_deduct_when=lambda response: response.status_code in REFUSED,
        application_limits_exempt_when=lambda: request.path in NEVER_LIMITED,
        swallow_errors=True,
    )
    app.extensions["kheti_limiter"] = limiter
    return limiter
