"""Copy the Docker build context, the tree less what .dockerignore leaves out, to a folder (.ci/check-package builds
the package from it as the Dockerfile does), or list it: `docker_context.py DEST` / `docker_context.py --list`.

Docker's rules, as far as .dockerignore here uses them: a pattern is matched against the path from the top of the
context; `*` and `?` stay within one folder, `**` crosses any number; a match on a folder takes all it holds; a later
`!pattern` lets a path back in."""
from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def patterns(root: Path = ROOT) -> list[tuple[bool, re.Pattern]]:
    rules = []
    for line in (root / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keep = line.startswith("!")
        rules.append((keep, _regex(line.lstrip("!").strip("/"))))
    return rules


def _regex(pattern: str) -> re.Pattern:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + "(?:/.*)?")  # a folder's match takes what it holds


def ignored(relative: str, rules: list[tuple[bool, re.Pattern]]) -> bool:
    verdict = False
    for keep, regex in rules:
        if regex.fullmatch(relative):
            verdict = not keep
    return verdict


def context(root: Path = ROOT) -> list[str]:
    rules = patterns(root)
    prune = not any(keep for keep, _ in rules)  # without a `!`, nothing under an ignored folder comes back
    files = []
    for folder, dirs, names in os.walk(root):
        top = Path(folder).relative_to(root)
        if prune:
            dirs[:] = [d for d in dirs if not ignored((top / d).as_posix(), rules)]
        files += [(top / n).as_posix() for n in names if not ignored((top / n).as_posix(), rules)]
    return sorted(files)


def main(argv: list[str]) -> int:
    if argv == ["--list"]:
        print("\n".join(context()))
        return 0
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    dest = Path(argv[0])
    for relative in context():
        (dest / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, dest / relative)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
