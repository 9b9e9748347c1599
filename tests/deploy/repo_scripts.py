"""The repository's own scripts that are not a package (scripts/, .ci/), loaded by path for the deployment tests."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load(relative: str):
    spec = importlib.util.spec_from_file_location(Path(relative).stem, ROOT / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def env_example():
    return load("scripts/env_example.py")


def docker_context():
    return load(".ci/docker_context.py")
