"""The image's recipe, read without a Docker engine: a pinned base, a build stage that installs exactly the lock and
a runtime stage with no compiler that runs as a user other than root; a build context without the virtualenv, local
state or secrets; lock files that hold every dependency setup.cfg names (.ci/check-lock checks they are current)."""
from __future__ import annotations

import configparser
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.repo_scripts import docker_context

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
STAGES = {m.group(2): m.start() for m in re.finditer(r"^FROM (\S+) AS (\w+)$", DOCKERFILE, re.M)}
RUNTIME = DOCKERFILE[STAGES["runtime"]:]
BUILD = DOCKERFILE[STAGES["build"]:STAGES["runtime"]]


def pins(name: str) -> dict[str, set[str]]:
    """{package: {versions}} of a lock file (a package may be pinned twice, under different markers)."""
    found: dict[str, set[str]] = {}
    for m in re.finditer(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)", (ROOT / "requirements" / name).read_text(), re.M):
        found.setdefault(canonicalize_name(m.group(1)), set()).add(m.group(2))
    return found


def setup_cfg_requirements(section: str, key: str) -> list[Requirement]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return [Requirement(line) for line in config[section][key].splitlines() if line.strip()]


def test_the_base_is_pinned_by_digest_and_the_stages_share_it():
    base = re.search(r"^FROM (\S+) AS base$", DOCKERFILE, re.M).group(1)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", base), base
    assert re.findall(r"^FROM (\S+)", DOCKERFILE, re.M) == [base, "base", "base"]
    assert list(STAGES) == ["base", "build", "runtime"]  # the runtime is the last stage: what `docker build` gives


def test_the_build_installs_exactly_the_lock():
    assert "COPY requirements/runtime.txt" in BUILD
    install = re.search(r"pip install ([^\n]*) -r /tmp/runtime.txt", BUILD).group(1)
    for flag in ("--require-hashes", "--no-deps", "--only-binary=:all:"):
        assert flag in install
    assert "pip install --no-cache-dir --no-deps --no-build-isolation ." in BUILD


def test_the_runtime_has_no_compiler_runs_as_a_user_and_keeps_its_steps():
    assert not re.search(r"build-essential|gcc|\bcc\b|-dev\b", RUNTIME)
    assert "pip install" not in RUNTIME
    assert "COPY --from=build /opt/kheti /opt/kheti" in RUNTIME
    user = re.findall(r"^USER (\S+)$", RUNTIME, re.M)
    assert user and user[0].split(":")[0] not in ("0", "root"), user
    assert "HEALTHCHECK" not in re.sub(r"#.*", "", DOCKERFILE), "each service's own check lives in docker-compose.yml"
    for step in ("espeak-ng", "kheti nlu train", "kheti db upgrade", "kheti seed --no-demo",
                 "kheti voice build-prompts"):
        assert step in RUNTIME, step
    assert "pybabel compile" in BUILD
    assert re.search(r'CMD \["kheti", "serve", "--prod"\]', RUNTIME)


def test_the_build_context_leaves_out_the_virtualenv_state_and_secrets():
    context = docker_context()
    rules = context.patterns(ROOT)
    for path in (".venv/bin/python", "var/kheti.sqlite3", ".git/HEAD", ".env", "backups/kheti-1.dump",
                 "gateway/__pycache__/routes.cpython-311.pyc", "locales/hi/LC_MESSAGES/messages.mo",
                 "tests/conftest.py", "requirements/dev.txt"):
        assert context.ignored(path, rules), path
    files = set(context.context(ROOT))
    for path in ("setup.cfg", "pyproject.toml", "README.md", "requirements/runtime.txt", "alembic.ini",
                 "farmdb/migrations/env.py", "farmdb/seed/data/crops.json", "locales/hi/LC_MESSAGES/messages.po",
                 "nlu/data/hi_deva.train.jsonl", "console/static/console.css", "gateway/gunicorn_conf.py"):
        assert path in files, path


@pytest.mark.parametrize("lock", ["runtime.txt", "dev.txt"])
def test_the_locks_hold_every_dependency_setup_cfg_names(lock):
    locked = pins(lock)
    wanted = setup_cfg_requirements("options", "install_requires")
    if lock == "dev.txt":
        wanted += setup_cfg_requirements("options.extras_require", "dev")
    missing = [str(r) for r in wanted if canonicalize_name(r.name) not in locked]
    assert missing == [], f"run `make lock`: {missing}"
    for requirement in wanted:
        for version in locked[canonicalize_name(requirement.name)]:
            assert requirement.specifier.contains(version, prereleases=True), (requirement, version)


def test_the_runtime_lock_holds_what_building_the_package_needs():
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    listed = [Requirement(line) for line in (ROOT / "requirements/build.in").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert sorted(map(str, listed)) == sorted(build), "requirements/build.in follows pyproject.toml"
    assert all(canonicalize_name(r.name) in pins("runtime.txt") for r in listed)


def test_both_locks_agree_and_every_pin_has_hashes():
    runtime, dev = pins("runtime.txt"), pins("dev.txt")
    assert {name: versions for name, versions in runtime.items() if dev.get(name) != versions} == {}
    for name in ("runtime.txt", "dev.txt"):
        entries = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements" / name).read_text())
        unhashed = [e.split()[0] for e in entries if "==" in e.split("\n")[0] and "--hash=sha256:" not in e]
        assert unhashed == [], name
