"""How many CPUs this process may really use: the host's cores, cut down by the CPU affinity and by the CFS quota of
its cgroup (a container's `--cpus`, a Kubernetes CPU limit). os.cpu_count() sees the host's cores only, so a gateway
sized from it on a 64-core node with a 2-CPU limit would start 129 gunicorn processes and be throttled."""
from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
SELF_CGROUP = Path("/proc/self/cgroup")


def cpu_quota(root: Path = CGROUP_ROOT, self_cgroup: Path = SELF_CGROUP) -> float | None:
    """CPUs the quota allows (1.5 for 150000/100000), or None when no cgroup on the way up limits them.

    cgroup v2: `cpu.max` is "QUOTA PERIOD" or "max PERIOD". cgroup v1: `cpu.cfs_quota_us` (-1: none) over
    `cpu.cfs_period_us`. The process's own group and every parent it can see may set one; the smallest counts."""
    limits = [limit for directory in _groups(root, self_cgroup) if (limit := _limit(directory)) is not None]
    return min(limits) if limits else None


def available_cpus(root: Path = CGROUP_ROOT, self_cgroup: Path = SELF_CGROUP, cores: int | None = None) -> int:
    """Whole CPUs to size a pool by: the cores this process may run on, at most the quota rounded up, at least 1."""
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = cpu_quota(root, self_cgroup)
    if quota is not None:
        cores = min(cores, math.ceil(quota))
    return max(1, cores)


def gunicorn_workers(environ: dict[str, str] | None = None, cpus: int | None = None) -> int:
    """WEB_CONCURRENCY when set, else 2 processes per usable CPU plus one (gunicorn's own advice for sync workers)."""
    environ = os.environ if environ is None else environ
    if environ.get("WEB_CONCURRENCY", "").strip():
        return int(environ["WEB_CONCURRENCY"])
    return 2 * (available_cpus() if cpus is None else cpus) + 1


def _groups(root: Path, self_cgroup: Path) -> list[Path]:
    """The folders that may hold this process's CPU limits: its cgroup and the parents of it under each mount.

    Inside a container the cgroup namespace usually makes the mount's top its own group ("0::/"), so the top is
    always looked at; on a host it is the root group, which holds no limit files."""
    try:
        lines = self_cgroup.read_text().splitlines()
    except OSError:
        lines = []
    bases = {"": [root], "cpu": [root / "cpu", root / "cpu,cpuacct", root / "cpuacct,cpu"]}
    found: list[Path] = []
    for kind, tops in bases.items():
        paths = ["/"]
        for line in lines:
            _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
            if (kind == "" and controllers == "") or (kind == "cpu" and "cpu" in controllers.split(",")):
                paths.append(path.strip())
        for top in tops:
            for path in paths:
                directory = top / path.strip("/") if path.strip("/") else top
                while True:
                    if directory.is_dir() and directory not in found:
                        found.append(directory)
                    if directory == top or top not in directory.parents:
                        break
                    directory = directory.parent
    return found


def _limit(directory: Path) -> float | None:
    try:
        quota, period = (directory / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else _ratio(quota, period)
    except (OSError, ValueError):
        pass
    try:
        quota = (directory / "cpu.cfs_quota_us").read_text().strip()
        period = (directory / "cpu.cfs_period_us").read_text().strip()
    except OSError:
        return None
    return _ratio(quota, period)


def _ratio(quota: str, period: str) -> float | None:
    try:
        quota_us, period_us = int(quota), int(period)
    except ValueError:
        return None
    if quota_us <= 0 or period_us <= 0:  # -1: no quota (v1)
        return None
    return quota_us / period_us
