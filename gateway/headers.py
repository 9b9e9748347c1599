"""Headers on every answer the app gives, whatever route made it (webhooks, health, the console, the API, errors):
nothing is framed, sniffed as another type, or sent on as a referrer; nothing is kept by a cache unless its route
says it may be (pages and API answers hold farmers' data; the call audio and static files say so themselves); HSTS
once a request came over https (ProxyFix makes request.is_secure honest behind TRUSTED_PROXIES).

The console's pages add their own Content-Security-Policy (console/__init__.py), which also forbids framing; any
other answer gets one that forbids framing only, so the API's documentation page keeps its scripts.

The Server header is the web server's: `kheti serve` (cli/serve.py) and gunicorn (gateway/gunicorn_conf.py) both
say "kheti", naming no product or version to look up known bugs for."""
from __future__ import annotations

from flask import Flask, Response, request

HSTS = "max-age=31536000"


def init_app(app: Flask) -> None:
    app.after_request(secure)


def secure(response: Response) -> Response:
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    headers.setdefault("Cache-Control", "no-store")
    if request.is_secure:
        headers["Strict-Transport-Security"] = HSTS
    return response
