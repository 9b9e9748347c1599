"""Pieces several flows share: choosing a crop, a state or a district, and validating what farmers type."""
from __future__ import annotations

import unicodedata

from dialogs.context import Ctx
from dialogs.screens import Choice, Invalid
from dialogs.services import Named


def label(ctx: Ctx, item: Named) -> str:
    return item.label(ctx.session.locale, ctx.event.latin)


def named_choices(ctx: Ctx, items: list[Named]) -> list[Choice]:
    return [Choice(label(ctx, item), item.key, translate=False) for item in items]


def crop_choices(ctx: Ctx) -> list[Choice]:
    """The farmer's own crops first: that is what they ask about nearly every time."""
    crops = ctx.services.crops()
    own = set(ctx.profile.crops) if ctx.profile else set()
    ordered = [c for c in crops if c.key in own] + [c for c in crops if c.key not in own]
    return named_choices(ctx, ordered)


def crop_name(ctx: Ctx, code: str) -> str:
    crop = next((c for c in ctx.services.crops() if c.key == code), None)
    return label(ctx, crop) if crop else code


def state_choices(ctx: Ctx) -> list[Choice]:
    return named_choices(ctx, ctx.services.states())


def find_state(ctx: Ctx, text: str) -> list[Choice]:
    return named_choices(ctx, ctx.services.find_states(text))


def district_choices(ctx: Ctx) -> list[Choice]:
    return named_choices(ctx, ctx.services.districts(ctx.session.answers["state_id"]))


def find_district(ctx: Ctx, text: str) -> list[Choice]:
    return named_choices(ctx, ctx.services.find_districts(ctx.session.answers["state_id"], text))


def parse_name(ctx: Ctx, text: str) -> str:
    """Letters of any script (with their vowel signs), spaces, dots and hyphens: 'Ramesh Patil', 'रमेश'."""
    name = " ".join(text.split())
    if not 2 <= len(name) <= 40:
        raise Invalid("error.name")
    for ch in name:
        if not (unicodedata.category(ch)[0] in "LM" or ch in " .'-"):
            raise Invalid("error.name")
    return name


def parse_description(ctx: Ctx, text: str) -> str:
    description = " ".join(text.split())
    if len(description) < 3 or not any(unicodedata.category(ch)[0] == "L" for ch in description):
        raise Invalid("error.description")
    return description


def back_to(ctx: Ctx, screen: str) -> None:
    """After saving, "0 Back" should lead to the menu the farmer came from, not into the finished form."""
    back = ctx.session.back
    if screen in back:
        del back[back.index(screen):]
