"""The dialog engine: resume(session, event, services) -> (session, reply, effects). No I/O of its own.

Navigation is the same on every screen and every channel: "0" back (or the previous page), "00" home, "98" more.
"""
from __future__ import annotations

from dataclasses import replace

from dialogs.context import Ctx
from dialogs.dialog import Dialog
from dialogs.effects import Effect
from dialogs.model import Event, Option, Reply, Session, View
from dialogs.screens import Ask, Go, Menu, Stay
from dialogs.services import FarmServices
from dialogs.texts import N_

BACK, HOME, MORE = "0", "00", "98"
MAX_INPUT = 160  # nobody types more on a keypad; longer input is noise or an attack


def resume(session: Session | None, event: Event, services: FarmServices, dialog: Dialog,
           dropped: Session | None = None) -> tuple[Session, Reply, list[Effect]]:
    """Advance one hop. `session` is None on a new session; `dropped` is a recent session from the same caller that
    ended mid-flow (the caller is offered to continue it)."""
    if event.kind == "start" or session is None:
        session = _start(event, services, dialog, dropped)
        ctx = Ctx(session, event, services)
    elif event.kind == "shortcut":
        ctx = Ctx(session, event, services)
        _shortcut(ctx, dialog, event)
    elif event.kind == "repeat":  # say the screen again (the caller was silent, or pressed a key it has not got)
        ctx = Ctx(session, event, services)
        ctx.session.error = event.text or None
    else:
        ctx = Ctx(session, event, services)
        _advance(ctx, dialog, event.text.strip())
    if ctx.session.error:
        ctx.session.page = 0  # the hint stands above the first page: show that page, or it is never seen
    view = dialog[ctx.session.screen].view(ctx)
    view = _decorate(ctx, dialog, view)
    ctx.session.error = None
    return ctx.session, Reply(view, ctx.session.page), ctx.effects


def _start(event: Event, services: FarmServices, dialog: Dialog, dropped: Session | None) -> Session:
    profile = services.profile(event.phone)
    session = Session(screen=dialog.home(profile), locale=profile.locale if profile else services.default_locale,
                      profile=profile)
    if dropped is not None and dialog.resumable(dropped):
        if dropped.screen == dialog.resume_screen:  # they dropped on the offer itself: offer the same form again
            dropped = Session.from_dict(dropped.answers["_dropped"])
        session.answers["_dropped"] = dropped.to_dict()
        session.screen = dialog.resume_screen
        session.locale = dropped.locale  # ask in the language the caller had chosen
    return session


def _advance(ctx: Ctx, dialog: Dialog, text: str) -> None:
    session = ctx.session
    screen = dialog[session.screen]
    if len(text) > MAX_INPUT:
        session.error = N_("error.too_long")
        return
    if text == HOME:
        _go(session, dialog.home(session.profile), remember=False)
        session.back.clear()
        return
    if text == BACK:
        if "_pick" in session.answers:  # leave a "did you mean" list for the full list
            session.answers.pop("_pick")
            session.page = 0
        elif session.page > 0:
            session.page -= 1
        elif session.back:
            target = session.back.pop()
            _go(session, target, remember=False)
        else:
            session.error = N_("error.invalid_option")
        return
    if text == MORE and not isinstance(screen, Ask):  # on a question, "98" is an answer
        view = screen.view(ctx)
        if session.page + 1 < ctx.services.layout.page_count(_decorate(ctx, dialog, view)):
            session.page += 1
        else:
            session.error = N_("error.invalid_option")
        return
    if not text and not ctx.event.recording_url:  # a recording is an answer without words
        session.error = N_("error.empty")
        return
    outcome = screen.handle(ctx, text)
    if isinstance(outcome, Stay):
        session.error = outcome.error
    elif isinstance(outcome, Go):
        home = outcome.target == dialog.home(session.profile)
        _go(session, outcome.target, remember=outcome.remember and not home)
        if home:
            session.back.clear()  # "No" on a question leads home: there is no going back into the question


def _shortcut(ctx: Ctx, dialog: Dialog, event: Event) -> None:
    """A registered farmer at the main menu said what they want: go there, and choose the crop they named."""
    target = dialog.shortcuts.get(event.text)
    if target is None or ctx.session.profile is None or ctx.session.screen != dialog.home_screen:
        ctx.session.error = N_("error.invalid_option")
        return
    _go(ctx.session, target, remember=True)
    screen, crop = dialog[target], (event.entities or {}).get("crop")
    if crop and isinstance(screen, Menu) and screen.store == "crop" and \
            any(c.value == crop for c in screen.options(ctx)):
        outcome = screen.handle_choice(ctx, crop)
        if isinstance(outcome, Go):
            _go(ctx.session, outcome.target, remember=outcome.remember)
        elif isinstance(outcome, Stay):
            ctx.session.error = outcome.error


def _go(session: Session, target: str, remember: bool) -> None:
    if remember and session.screen != target:
        session.back.append(session.screen)
        del session.back[:-8]  # a long walk need not be remembered for ever: the session stays small
    session.screen, session.page = target, 0
    session.answers.pop("_pick", None)


def _decorate(ctx: Ctx, dialog: Dialog, view: View) -> View:
    """Add the hint for a bad answer and the navigation every screen offers."""
    t = ctx.t
    lines = view.lines
    if ctx.session.error:
        lines = (t(ctx.session.error),) + lines
    if view.end:
        return replace(view, lines=lines)
    nav = list(view.nav)  # the screen's own (multi-select "Done") first
    if ctx.session.back or ctx.session.page > 0 or "_pick" in ctx.session.answers:
        nav.append(Option(BACK, t(N_("nav.back"))))
    # Home is the main menu; before registration there is none, and the room is needed for the consent notice.
    if ctx.session.profile and ctx.session.screen not in dialog.entry_screens:
        nav.append(Option(HOME, t(N_("nav.home"))))
    return replace(view, lines=lines, nav=tuple(nav), more=Option(MORE, t(N_("nav.more"))))
