"""Things built once and kept (provider clients keep their connection pools), filled safely from several threads."""
from __future__ import annotations

import threading
from typing import Callable, Hashable, TypeVar

T = TypeVar("T")


class BuiltOnce(dict):
    """A cache of things built from a key, safe to fill from several threads."""

    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()

    def get_or_build(self, key: Hashable, build: Callable[[], T]) -> T:
        found = self.get(key)
        if found is None:
            with self._lock:
                found = self.get(key)
                if found is None:
                    found = self[key] = build()
        return found
