"""The Flask gateway: provider webhooks in, dialog replies out. `create_app` is the only way to build it, and it
registers every route itself: one blueprint per provider (gateway/africastalking, gateway/twilio, gateway/plivo),
payments, the call audio and health; and the operators' console and API v1 (console/) beside them."""
from __future__ import annotations

import logging
import re
import uuid
from datetime import date
from typing import Callable

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import console
from console import api as console_api
from farmdb.migrate import head_revision
from gateway import africastalking, errors, headers, health, limits, metrics, payments, plivo, twilio, voice_audio
from service.connections import Backends
from service.context import Service
from service.conversations import Conversations
from service.logs import configure_for, request_id
from service.settings import Settings
from service.variables import GRIEVANCE_PLACEHOLDER
from service.voice_audio import AudioLibrary
from workers.app import boot

log = logging.getLogger(__name__)

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def create_app(settings: Settings | None = None, *, backends: Backends | None = None,
               service: Service | None = None, today: Callable[[], date] | None = None) -> Flask:
    """Build the app from settings (the environment when none given), or around a Service booted already (with its
    task app: `kheti serve` also ticks the periodic jobs on it). Tests pass their own backends, and `today` to pin
    the farmers' calendar day."""
    if service is not None and (settings is not None or backends is not None):
        raise TypeError("create_app takes a booted service, or settings and backends to boot one: not both")
    settings = service.settings if service is not None else settings or Settings.from_env()
    configure_for(settings)  # before booting: what start-up logs is formatted and masked too
    if service is None:
        service, _ = boot(settings, backends)

    app = Flask(__name__)
    app.url_map.converters["int"] = DatabaseId  # before any route is added
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        JSON_SORT_KEYS=False,
        KHETI_SCHEMA_HEAD=head_revision(),
    )
    app.extensions["kheti"] = service
    app.extensions["kheti_conversations"] = Conversations(service, today=today)
    # Hindi and Marathi prompts for Africa's Talking calls, built ahead by `kheti voice build-prompts`.
    app.extensions["kheti_voice_audio"] = AudioLibrary.for_settings(settings)

    _init_request_ids(app)
    errors.init_app(app, pages={console.PREFIX: console.error_page})
    metrics.init_app(app)
    headers.init_app(app)  # on every answer, the console's and the API's too
    limits.init_app(app, settings, service.backends.redis)  # before the console and the API, whose limits it carries
    for blueprint in (health.blueprint(), africastalking.blueprint(), twilio.blueprint(), plivo.blueprint(),
                      payments.blueprint(), voice_audio.blueprint()):
        app.register_blueprint(blueprint)
    console.init_app(app, service)
    console_api.init_app(app)
    if settings.trusted_proxies:
        # The client's address (for the login limit and the audit log) and https, from the load balancer's headers.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)

    if not settings.embedded and settings.payment_provider == "sandbox":
        log.warning("payments run on the sandbox: anyone with a payment link can mark it paid. "
                    "Do not take real subscriptions until a payment provider is configured.")
    if settings.at_webhook_token is None:
        log.warning("AT_WEBHOOK_TOKEN is not set: anyone can call /africastalking/*. Set it outside development.")
    if not settings.embedded and not settings.trusted_proxies:
        log.warning("TRUSTED_PROXIES is 0: behind a load balancer every client has its address, for the per-address "
                    "limit and the audit log alike. Set it to the number of proxies in front of the gateway.")
    if settings.grievance_contact == GRIEVANCE_PLACEHOLDER:
        log.warning("GRIEVANCE_CONTACT is the placeholder %s: every consent notice tells farmers to complain there. "
                    "Set it to your helpline number before going live.", GRIEVANCE_PLACEHOLDER)
    if settings.embedded:
        log.info("running on the embedded default: SQLite at %s, in-process Redis stand-in, in-process tasks",
                 settings.sqlalchemy_url)
    return app


class DatabaseId(IntegerConverter):
    """<int:...> in a URL: ids are 32-bit in the database, so a larger number names nothing (a 404, never SQL)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _init_request_ids(app: Flask) -> None:
    """Take the load balancer's X-Request-ID when it is sane, else make one; it goes on every log line and back."""

    @app.before_request
    def _assign():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_id_token = request_id.set(g.request_id)

    @app.after_request
    def _echo(response):
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        route = request.url_rule.rule if request.url_rule else "<unmatched>"
        log.info("%s %s %s", request.method, route, response.status_code,
                 extra={"method": request.method, "route": route, "status": response.status_code})
        return response

    @app.teardown_request
    def _reset(_exc):
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id.reset(token)
