"""A caller whose session dropped mid-flow a few minutes ago may continue where they were."""
from __future__ import annotations

from dialogs.context import Ctx
from dialogs.model import Session
from dialogs.screens import Choice, Go, Menu
from dialogs.texts import N_


def continue_dropped(ctx: Ctx, _value) -> Go:
    dropped = Session.from_dict(ctx.session.answers.pop("_dropped"))
    session = ctx.session
    session.locale, session.answers, session.back = dropped.locale, dropped.answers, dropped.back
    session.profile = session.profile or dropped.profile
    return Go(dropped.screen, remember=False)


def start_over(ctx: Ctx, _value) -> Go:
    ctx.session.answers.clear()
    return Go("main" if ctx.profile else "language", remember=False)


SCREENS = [
    Menu("resume", title=N_("resume.title"), choices=(
        Choice(N_("resume.continue"), action=continue_dropped),
        Choice(N_("resume.restart"), action=start_over),
    ), exits_also=("main", "language")),
]
