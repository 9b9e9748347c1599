"""Screen types. A flow is a list of these; the engine moves between them by the exits they declare.

- Menu: numbered choices, fixed or computed (a farmer's crops, a state's districts); optionally a typed search
  ("nasik" finds Nashik) and multi-select (tick several crops, then Done).
- Ask: free text with validation (a name, a description of a pest).
- Info: information to read, paged, with optional choices (Send by SMS).
- End: the last screen; the session closes.

Every screen declares its exits and the message ids it uses, so a flow can be checked when it is loaded.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from dialogs.model import Option, View
from dialogs.texts import N_

if TYPE_CHECKING:
    from dialogs.context import Ctx

DONE_KEY = "99"  # multi-select: finish choosing


class Invalid(Exception):
    """Raised by a parser or action: stay on the screen and show this message id as a hint."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Go:
    target: str
    remember: bool = True  # push the current screen so "0 Back" returns to it


@dataclass(frozen=True)
class Stay:
    error: str | None = None


Outcome = Go | Stay


@dataclass(frozen=True)
class Choice:
    """One numbered option. `label` is a message id for fixed choices, or the text itself for computed ones."""

    label: str
    value: Any = None
    target: str | None = None
    action: Callable[["Ctx", Any], Outcome | None] | None = None
    translate: bool = True
    channels: tuple[str, ...] = ()  # offered only on these channels (none: on every one)


Choices = tuple[Choice, ...] | Callable[["Ctx"], list[Choice]]
Lines = Callable[["Ctx"], list[str]]


@dataclass(frozen=True)
class Screen:
    id: str
    uses: tuple[str, ...] = ()  # message ids used by computed text, for validation

    def exits(self) -> set[str]:
        return set()

    def keys(self) -> set[str]:
        return set(self.uses)

    def view(self, ctx: "Ctx") -> View:
        raise NotImplementedError

    def handle(self, ctx: "Ctx", text: str) -> Outcome:
        raise NotImplementedError


def _offered(ctx: "Ctx", choices) -> list[Choice]:
    return [c for c in choices if not c.channels or ctx.event.channel in c.channels]


def _numbered(ctx: "Ctx", choices: list[Choice]) -> tuple[Option, ...]:
    return tuple(Option(str(i), ctx.t(c.label) if c.translate else c.label) for i, c in enumerate(choices, 1))


def _then(ctx: "Ctx", actions, value: Any, target: str | None) -> Outcome:
    """Run the actions in turn; the first that returns an outcome decides, else go to `target`."""
    for action in actions:
        if action:
            outcome = action(ctx, value)
            if outcome is not None:
                return outcome
    return Go(target)


def _pick(choices: list[Choice], text: str) -> Choice | None:
    if text.isdigit() and not text.startswith("0"):
        index = int(text) - 1
        if 0 <= index < len(choices):
            return choices[index]
    return None


@dataclass(frozen=True)
class Menu(Screen):
    title: str = ""  # message id
    title_params: Callable[["Ctx"], dict] | None = None
    choices: Choices = ()
    target: str | None = None  # where computed choices lead
    store: str | None = None  # answers[store] = chosen value
    action: Callable[["Ctx", Any], Outcome | None] | None = None  # runs after storing, may redirect
    search: Callable[["Ctx", str], list[Choice]] | None = None  # typed text instead of a number
    multi: bool = False  # tick several (answers[store] is a list), then DONE_KEY
    done_label: str = N_("nav.done")
    exits_also: tuple[str, ...] = ()  # targets an action may return
    empty: str | None = None  # message id shown instead of the title when there is nothing to choose

    def exits(self) -> set[str]:
        fixed = self.choices if isinstance(self.choices, tuple) else ()
        return {c.target for c in fixed if c.target} | ({self.target} if self.target else set()) | set(self.exits_also)

    def keys(self) -> set[str]:
        fixed = self.choices if isinstance(self.choices, tuple) else ()
        keys = {self.title} | {c.label for c in fixed if c.translate} | set(self.uses)
        return keys | ({self.done_label} if self.multi else set()) | ({self.empty} if self.empty else set())

    def options(self, ctx: "Ctx") -> list[Choice]:
        picked = ctx.session.answers.get("_pick")
        if picked is not None:  # a typed search found several: choose among those
            return [Choice(label, value, translate=False) for label, value in picked]
        return _offered(ctx, self.choices) if isinstance(self.choices, tuple) else self.choices(ctx)

    def view(self, ctx: "Ctx") -> View:
        choices = self.options(ctx)
        if not choices and self.empty:
            return View(lines=(ctx.t(self.empty),))
        options = _numbered(ctx, choices)
        if self.multi:
            chosen = set(ctx.session.answers.get(self.store, []))
            options = tuple(Option(o.key, ("+" if c.value in chosen else "") + o.label)
                            for o, c in zip(options, choices))
        params = self.title_params(ctx) if self.title_params else {}
        # "Done" sits with the navigation, on every page, not only after the last crop of a long list.
        nav = (Option(DONE_KEY, ctx.t(self.done_label)),) if self.multi else ()
        return View(lines=(ctx.t(self.title, **params),), options=options, nav=nav)

    def handle(self, ctx: "Ctx", text: str) -> Outcome:
        choices = self.options(ctx)
        if self.multi and text == DONE_KEY:
            if not ctx.session.answers.get(self.store):
                return Stay(N_("error.choose_one"))
            return self._chosen(ctx, Choice("", ctx.session.answers[self.store], self.target), store=False)
        choice = _pick(choices, text)
        if choice is None and self.search and not text.isdigit():
            found = self.search(ctx, text)
            if not found:
                return Stay(N_("error.not_found"))
            if len(found) > 1:
                ctx.session.answers["_pick"] = [(c.label, c.value) for c in found[:8]]
                ctx.session.page = 0
                return Stay(N_("error.did_you_mean"))
            choice = found[0]
        if choice is None:
            return Stay(N_("error.invalid_option"))
        ctx.session.answers.pop("_pick", None)
        if self.multi:
            chosen = list(ctx.session.answers.get(self.store, []))
            chosen.remove(choice.value) if choice.value in chosen else chosen.append(choice.value)
            ctx.session.answers[self.store] = chosen
            return Stay()
        return self._chosen(ctx, choice, store=True)

    def handle_choice(self, ctx: "Ctx", value: Any) -> Outcome:
        """As if the caller had picked the option with this value (a crop named aloud)."""
        choice = next(c for c in self.options(ctx) if c.value == value)
        return self._chosen(ctx, choice, store=True)

    def _chosen(self, ctx: "Ctx", choice: Choice, store: bool) -> Outcome:
        if store and self.store:
            ctx.session.answers[self.store] = choice.value
        return _then(ctx, (choice.action, self.action), choice.value, choice.target or self.target)


@dataclass(frozen=True)
class Ask(Screen):
    prompt: str = ""
    prompt_params: Callable[["Ctx"], dict] | None = None
    store: str = ""
    parse: Callable[["Ctx", str], Any] = lambda ctx, text: text
    target: str = ""
    action: Callable[["Ctx", Any], Outcome | None] | None = None
    exits_also: tuple[str, ...] = ()
    # On the voice line the answer may be a recording (where speech cannot be read as text): the answer is then
    # this message in the caller's language, and answers["recording_url"] points at the audio.
    recorded_as: str | None = None
    record: bool = False  # on the voice line, record the answer for a person to hear (not read it as text)

    def exits(self) -> set[str]:
        return {self.target} | set(self.exits_also)

    def keys(self) -> set[str]:
        return {self.prompt} | set(self.uses) | ({self.recorded_as} if self.recorded_as else set())

    def view(self, ctx: "Ctx") -> View:
        params = self.prompt_params(ctx) if self.prompt_params else {}
        return View(lines=(ctx.t(self.prompt, **params),), asks="recording" if self.record else "text")

    def handle(self, ctx: "Ctx", text: str) -> Outcome:
        if ctx.event.recording_url and self.recorded_as:
            ctx.session.answers["recording_url"] = ctx.event.recording_url
            value = str(ctx.t(self.recorded_as))
            ctx.session.answers[self.store] = value
            return _then(ctx, (self.action,), value, self.target)
        try:
            value = self.parse(ctx, text)
        except Invalid as invalid:
            return Stay(invalid.key)
        ctx.session.answers[self.store] = value
        return _then(ctx, (self.action,), value, self.target)


@dataclass(frozen=True)
class Info(Screen):
    body: Lines = lambda ctx: []
    choices: tuple[Choice, ...] = field(default=())

    def exits(self) -> set[str]:
        return {c.target for c in self.choices if c.target}

    def keys(self) -> set[str]:
        return {c.label for c in self.choices} | set(self.uses)

    def view(self, ctx: "Ctx") -> View:
        return View(lines=tuple(self.body(ctx)), options=_numbered(ctx, _offered(ctx, self.choices)))

    def handle(self, ctx: "Ctx", text: str) -> Outcome:
        choice = _pick(_offered(ctx, self.choices), text)
        if choice is None:
            return Stay(N_("error.invalid_option"))
        return _then(ctx, (choice.action,), choice.value, choice.target)


@dataclass(frozen=True)
class End(Screen):
    body: Lines = lambda ctx: []

    def view(self, ctx: "Ctx") -> View:
        return View(lines=tuple(self.body(ctx)), end=True)

    def handle(self, ctx: "Ctx", text: str) -> Outcome:
        return Stay()
