"""What a request brings: a page of results asked for, a JSON object, each with a 400 naming what is wrong."""
from __future__ import annotations

import re

from flask import abort, request

MAX_PER_PAGE = 100
MAX_ID = 2**31 - 1  # ids are 32-bit in the database: a larger one names nothing (and must not reach SQL)
_HALF_CHARACTER = re.compile(r"[\ud800-\udfff]")


def page_args() -> tuple[int, int]:
    try:
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", 25))
    except ValueError:
        abort(400, description="page and per_page are whole numbers")
    if not 1 <= page <= 100_000 or not 1 <= per_page <= MAX_PER_PAGE:
        abort(400, description=f"page is 1 to 100000, per_page 1 to {MAX_PER_PAGE}")
    return page, per_page


def json_object(allowed: set[str]) -> dict:
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes: no request of ours is
        body = None
    if not isinstance(body, dict):
        abort(400, description="send a JSON object (Content-Type: application/json)")
    unknown = set(body) - allowed
    if unknown:
        abort(400, description=f"unknown field(s): {', '.join(sorted(unknown))}")
    if any(isinstance(v, str) and _HALF_CHARACTER.search(v) for v in body.values()):
        # "\ud800" alone is valid JSON but no text: the database driver could not encode it
        abort(400, description="a text holds half a character (a lone surrogate): send whole characters")
    return body


def page_json(page, items: list) -> dict:
    return {"items": items, "page": page.number, "per_page": page.per_page, "total": page.total,
            "pages": page.pages}


def known_id(value: int, what: str) -> int:
    if not 1 <= value <= MAX_ID:
        abort(404, description=f"no {what} {value}")
    return value
