"""A dialog: the screens of all flows, checked when loaded.

Checks: ids are unique, every exit leads to a screen that exists, every screen can be reached from an entry, every
shortcut leads to a screen, and every message id a screen declares is translated in every shipped catalogue.
"""
from __future__ import annotations

from collections import deque
from types import MappingProxyType
from typing import Mapping

from dialogs.model import Profile, Session
from dialogs.screens import End, Info, Screen
from dialogs.texts import texts
from locales.languages import CATALOGUES


class DialogError(ValueError):
    pass


class Dialog:
    def __init__(self, screens: list[Screen], *, home: str, welcome: str, resume: str,
                 shortcuts: Mapping[str, str] = MappingProxyType({}), catalogues: tuple[str, ...] = CATALOGUES):
        self.screens: dict[str, Screen] = {}
        for screen in screens:
            if screen.id in self.screens:
                raise DialogError(f"two screens are called {screen.id!r}")
            self.screens[screen.id] = screen
        self.home_screen, self.welcome_screen, self.resume_screen = home, welcome, resume
        # Where a session may begin: nothing to "continue" from these.
        self.entry_screens = frozenset({home, welcome, resume})
        # What a registered farmer may ask for at the home screen in words (an NLU intent) and where it leads.
        self.shortcuts = MappingProxyType(dict(shortcuts))
        self._validate(catalogues)

    def __getitem__(self, screen_id: str) -> Screen:
        return self.screens[screen_id]

    def home(self, profile: Profile | None) -> str:
        return self.home_screen if profile else self.welcome_screen

    def resumable(self, session: Session) -> bool:
        """Worth offering to continue after a drop: the caller was asking for something and had answered part of
        it (a registration, a pest report), not reading a finished answer such as today's prices."""
        if session.screen == self.resume_screen and "_dropped" in session.answers:
            return True  # dropped again on "continue?": the form it offers is still worth offering
        screen = self.screens.get(session.screen)
        return (screen is not None and session.screen not in self.entry_screens
                and not isinstance(screen, (Info, End))
                and any(not key.startswith("_") for key in session.answers))

    def _validate(self, catalogues: tuple[str, ...]) -> None:
        problems = []
        for screen in self.screens.values():
            for target in screen.exits():
                if target not in self.screens:
                    problems.append(f"{screen.id}: exit to unknown screen {target!r}")
        problems += [f"shortcut {intent!r}: leads to unknown screen {target!r}"
                     for intent, target in self.shortcuts.items() if target not in self.screens]
        reached, queue = set(self.entry_screens), deque(self.entry_screens)
        while queue:
            for target in self.screens[queue.popleft()].exits():
                if target in self.screens and target not in reached:
                    reached.add(target)
                    queue.append(target)
        problems += [f"{sid}: cannot be reached from {sorted(self.entry_screens)}"
                     for sid in self.screens if sid not in reached]
        for catalogue in catalogues:
            locale, _, script = catalogue.partition("_")
            catalogue_texts = texts(locale, latin=bool(script))
            for screen in self.screens.values():
                problems += [f"{screen.id}: {key!r} is not translated in {catalogue}"
                             for key in sorted(screen.keys()) if key and not catalogue_texts.has(key)]
        if problems:
            raise DialogError("dialog definition is broken:\n  " + "\n  ".join(problems))
