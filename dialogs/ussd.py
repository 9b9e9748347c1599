"""USSD: lay a View out on screens that fit.

A screen holds USSD_MAX_CHARS (182) GSM-7 characters, or USSD_UCS2_MAX_CHARS (80) as soon as any character needs
UCS-2 (any Devanagari letter, ₹). Lines and options are packed onto pages in order; every page ends with the
navigation ("0 Back", "00 Home") and, when more follows, "98 More". Words are never split.
"""
from __future__ import annotations

from dataclasses import dataclass

from dialogs.model import Option, View
from dialogs.encoding import GSM7, UCS2, is_gsm7, screen_units, units


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
        # A page is measured by adding up its lines' sizes, not by re-measuring the whole text for every candidate
        # line: a hop tries dozens. A size is (all GSM-7?, GSM-7 units, UCS-2 units, line count).
        tail, tail_more = _size(footer), _size(footer + more)
        limits = (self.ucs2_max_chars, self.max_chars)

        def fits(size, last: bool) -> bool:
            t = tail if last else tail_more
            gsm7 = size[0] and t[0]
            units = (size[1] + t[1]) if gsm7 else (size[2] + t[2])
            return units + max(size[3] + t[3] - 1, 0) <= limits[gsm7]

        pages: list[list[str]] = [[]]
        size = _EMPTY
        for n, line in enumerate(lines):
            last_line = n == len(lines) - 1 and not options
            grown = _plus(size, _line_size(line))
            if fits(grown, last_line):  # the usual case: the whole line fits
                pages[-1].append(line)
                size = grown
                continue
            piece = ""
            for word in line.split(" "):
                candidate = f"{piece} {word}" if piece else word
                if fits(_plus(size, _line_size(candidate)), False):
                    piece = candidate
                    continue
                if piece:
                    pages[-1].append(piece)
                elif not pages[-1]:  # one word wider than a screen: cut it
                    pages[-1].append(self._truncate(word, footer + more))
                    pages.append([])
                    size = _EMPTY
                    continue
                pages.append([])
                size, piece = _EMPTY, word
            if piece:
                pages[-1].append(piece)
                size = _plus(size, _line_size(piece))
        for n, option in enumerate(options):
            grown = _plus(size, _line_size(option))
            if pages[-1] and not fits(grown, n == len(options) - 1):
                pages.append([])
                grown = _line_size(option)
            pages[-1].append(option)
            size = grown
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


_EMPTY = (True, 0, 0, 0)


def _line_size(line: str) -> tuple[bool, int, int, int]:
    gsm7 = is_gsm7(line)
    return gsm7, units(line, GSM7) if gsm7 else 0, units(line, UCS2), 1


def _plus(a: tuple, b: tuple) -> tuple[bool, int, int, int]:
    return a[0] and b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]


def _size(lines: list[str]) -> tuple[bool, int, int, int]:
    total = _EMPTY
    for line in lines:
        total = _plus(total, _line_size(line))
    return total


def _option(option: Option) -> str:
    return f"{option.key} {option.label}"
