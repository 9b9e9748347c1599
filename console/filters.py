"""How the console writes times and waits: in the service's time zone, short enough for a phone's screen."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask, request, url_for

from farmdb.phones import mask_phones_in
from locales.languages import LANGUAGES


def duration(span: timedelta) -> str:
    """'45 min', '7 h', '2 d 3 h': how long a farmer has waited."""
    minutes = max(0, int(span.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} d" + (f" {hours % 24} h" if hours % 24 else "")


def init_app(app: Flask, timezone: str) -> None:
    zone = ZoneInfo(timezone)
    names = {language.code: language.english_name for language in LANGUAGES}

    def local(moment: datetime | None, pattern: str = "%d %b %Y, %H:%M %Z") -> str:
        return moment.astimezone(zone).strftime(pattern) if moment else ""

    # `masked`: numbers inside what a farmer wrote ("call my son on 98...") are masked like every other number.
    app.jinja_env.filters.update(duration=duration, local=local, language=lambda code: names.get(code, code),
                                 masked=mask_phones_in)
    app.jinja_env.globals["page_url"] = page_url


def page_url(number: int, endpoint: str | None = None) -> str:
    """This page (or `endpoint`, with the same arguments), with the same filters, at another page number. Only the
    query's own arguments are carried: not the route's, nor url_for's (_external, _anchor...)."""
    route = request.view_args or {}
    args = {k: v for k, v in request.args.items() if k not in route and not k.startswith("_")}
    return url_for(endpoint or request.endpoint, **route, **{**args, "page": number})
