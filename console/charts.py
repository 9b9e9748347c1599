"""Charts drawn on the server as SVG: no JavaScript, nothing fetched from elsewhere, readable with styles off. Every bar
carries its label and its number as text, so a person reads the figure without guessing from a length. Colours come
from classes (console.css), never inline styles: the console's CSP forbids them."""
from __future__ import annotations

from markupsafe import Markup, escape

WIDTH = 640
ROW = 26  # height of one bar's row
LABEL_W = 190  # the label column on the left
NUMBER_W = 90  # the number column on the right


def _label(text, limit: int = 26) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(rows: list[tuple[object, float]], title: str, *, number=lambda n: f"{n:,}", kind: str = "") -> Markup:
    """Horizontal bars, longest on top as given: `rows` are (label, value)."""
    if not rows:
        return Markup("")
    top = max((value for _label_, value in rows), default=0) or 1
    span = WIDTH - LABEL_W - NUMBER_W
    parts = []
    for i, (label, value) in enumerate(rows):
        y = i * ROW
        length = max(1.0, span * value / top) if value else 0
        parts.append(
            f'<text class="label" x="{LABEL_W - 8}" y="{y + 17}" text-anchor="end">{escape(_label(label))}</text>'
            f'<rect class="bar {escape(kind)}" x="{LABEL_W}" y="{y + 4}" width="{length:.1f}" height="{ROW - 8}"/>'
            f'<text class="number" x="{LABEL_W + length + 6:.1f}" y="{y + 17}">{escape(number(value))}</text>')
    return _svg(title, len(rows) * ROW, parts)


def stacked_bars(rows: list[tuple[object, list[int]]], parts: list[tuple[str, str]], title: str) -> Markup:
    """One bar per row split into parts (a share of 100%), each part's count written in it when there is room, and
    a legend: `rows` are (label, [count per part]); `parts` are (name, css class) in the same order."""
    if not rows:
        return Markup("")
    span = WIDTH - LABEL_W - NUMBER_W
    drawn = []
    for i, (label, counts) in enumerate(rows):
        y, x, total = i * ROW, float(LABEL_W), sum(counts) or 1
        drawn.append(f'<text class="label" x="{LABEL_W - 8}" y="{y + 17}" text-anchor="end">'
                     f'{escape(_label(label))}</text>')
        for (name, css), count in zip(parts, counts):
            width = span * count / total
            if not count:
                continue
            drawn.append(f'<rect class="bar {escape(css)}" x="{x:.1f}" y="{y + 4}" width="{width:.1f}" '
                         f'height="{ROW - 8}"><title>{escape(name)}: {count:,}</title></rect>')
            if width >= 8 * len(f"{count:,}") + 6:  # the number fits inside its part
                drawn.append(f'<text class="inside" x="{x + width / 2:.1f}" y="{y + 17}" text-anchor="middle">'
                             f'{count:,}</text>')
            x += width
        drawn.append(f'<text class="number" x="{LABEL_W + span + 6}" y="{y + 17}">{sum(counts):,}</text>')
    legend_y = len(rows) * ROW + 6
    x = LABEL_W
    for name, css in parts:
        drawn.append(f'<rect class="bar {escape(css)}" x="{x}" y="{legend_y}" width="12" height="12"/>'
                     f'<text class="legend" x="{x + 16}" y="{legend_y + 11}">{escape(name)}</text>')
        x += 24 + 8 * len(name)
    return _svg(title, legend_y + 20, parts=drawn)


def _svg(title: str, height: int, parts: list[str]) -> Markup:
    return Markup(f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
                  f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
                  f'<title>{escape(title)}</title>{"".join(parts)}</svg>')
