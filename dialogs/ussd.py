"""USSD: lay a View out on screens that fit, and read Africa's Talking's input history.

A screen holds USSD_MAX_CHARS (182) GSM-7 characters, or USSD_UCS2_MAX_CHARS (80) as soon as any character needs
UCS-2 (any Devanagari letter, ₹). Lines and options are packed onto pages in order; every page ends with the
navigation ("0 Back", "00 Home") and, when more follows, "98 More". Words are never split.
"""
from __future__ import annotations

from dataclasses import dataclass

from dialogs.model import Option, View
from workers.sms_encoding import GSM7, screen_units


@dataclass(frozen=True)
class UssdLayout:
    max_chars: int = 182
    ucs2_max_chars: int = 80

    def limit_for(self, text: str) -> int:
        encoding, _ = screen_units(text)
        return self.max_chars if encoding == GSM7 else self.ucs2_max_chars

    def fits(self, text: str) -> bool:
        return screen_units(text)[1] <= self.limit_for(text)

    def pages(self, view: View) -> list[str]:
        footer = [_option(o) for o in view.nav]
        more = [_option(view.more)] if view.more else []
        lines = [line for text in view.lines for line in text.split("\n")]
        options = [_option(o) for o in view.options]
        if view.end:
            return [self._truncate("\n".join(lines + options))]
        pages: list[list[str]] = [[]]

        def fits(page: list[str], last: bool) -> bool:
            return self.fits("\n".join(page + footer + ([] if last else more)))

        # Text flows word by word into the room left on the page; options are never split.
        for n, line in enumerate(lines):
            words, last_line = line.split(" "), n == len(lines) - 1 and not options
            while words:
                take = len(words)
                while take and not fits(pages[-1] + [" ".join(words[:take])], last_line and take == len(words)):
                    take -= 1
                if take == 0 and not pages[-1]:  # one word wider than a screen: cut it
                    pages[-1].append(self._truncate(words[0], footer + more))
                    take = 1
                elif take:
                    pages[-1].append(" ".join(words[:take]))
                words = words[take:]
                if words:
                    pages.append([])
        for n, option in enumerate(options):
            if pages[-1] and not fits(pages[-1] + [option], n == len(options) - 1):
                pages.append([])
            pages[-1].append(option)
        return ["\n".join(page + footer + (more if k < len(pages) - 1 else [])) for k, page in enumerate(pages)]

    def page_count(self, view: View) -> int:
        return len(self.pages(view))

    def render(self, view: View, page: int) -> str:
        """The provider's reply body: 'CON ...' keeps the session open, 'END ...' closes it."""
        pages = self.pages(view)
        text = pages[min(max(page, 0), len(pages) - 1)]
        return ("END " if view.end else "CON ") + text

    def _truncate(self, text: str, reserve: list[str] = ()) -> str:
        while text and not self.fits("\n".join([text, *reserve])):
            text = text[:-4].rstrip() + "..."
        return text


def _option(option: Option) -> str:
    return f"{option.key} {option.label}"


def new_input(history: str | None, text: str) -> tuple[str, str]:
    """What the caller just typed, from AT's `text` (all inputs of the session joined by '*') and the history we
    saw on the previous hop. Returns (kind, input): kind is "first" (no history yet), "input", "repeat" (the same
    hop again) or "stale" (history we do not know: start afresh). A '*' typed inside an answer stays in it."""
    if history is None:
        return ("first", "") if text == "" else ("stale", "")
    if text == history:
        return "repeat", ""
    if history == "":
        return "input", text
    if text.startswith(history + "*"):
        return "input", text[len(history) + 1:]
    if history.startswith(text):
        return "repeat", ""  # a late copy of an earlier hop: answer with where the session is now
    return "stale", ""
