"""How the console writes times and waits: in the service's time zone, short enough for a phone's screen."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask, request, url_for

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

    def local(moment: datetime | None, pattern: str = "%d %b %Y, %H:%M") -> str:
        return moment.astimezone(zone).strftime(pattern) if moment else ""

    app.jinja_env.filters.update(duration=duration, local=local, language=lambda code: names.get(code, code))
    app.jinja_env.globals["page_url"] = page_url


def page_url(number: int) -> str:
    """This page, with the same filters, at another page number."""
    args = {**request.args.to_dict(), "page": number}
    return url_for(request.endpoint, **(request.view_args or {}), **args)
