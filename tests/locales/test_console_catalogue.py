"""The console's own words go through Babel: locales/console.pot holds every one the code and templates use, so a
translator's catalogue made from it misses nothing."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def _in_code() -> set[str]:
    found = set()
    for folder, method in (("console", "python"), ("console/templates", "jinja2")):
        pattern = "**.py" if method == "python" else "**.html"
        for _file, _line, message, _comments, _context in extract_from_dir(ROOT / folder, [(pattern, method)]):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_console_pot_holds_every_word_the_console_shows():
    with open(ROOT / "locales" / "console.pot", "rb") as handle:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert _in_code() == template, "run: pybabel extract -F locales/console.cfg --no-location --sort-output " \
                                   "-o locales/console.pot ."
