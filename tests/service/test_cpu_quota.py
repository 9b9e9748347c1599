"""The CPUs a container may use, read from fake cgroup files: v2's cpu.max, v1's cfs_quota_us over cfs_period_us, a
limit set on a parent group, and no limit at all."""
from __future__ import annotations

from pathlib import Path

import pytest

from service.cpu_quota import available_cpus, cpu_quota, gunicorn_workers


def fake_cgroup(tmp_path: Path, files: dict[str, str], self_cgroup: str = "0::/\n") -> tuple[Path, Path]:
    root = tmp_path / "cgroup"
    root.mkdir()
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    proc = tmp_path / "proc-self-cgroup"
    proc.write_text(self_cgroup)
    return root, proc


@pytest.mark.parametrize("files, self_cgroup, quota", [
    # cgroup v2, the container's own namespace: its limit sits at the top of the mount
    ({"cpu.max": "150000 100000\n"}, "0::/\n", 1.5),
    ({"cpu.max": "200000 100000\n"}, "0::/\n", 2.0),
    ({"cpu.max": "50000 100000\n"}, "0::/\n", 0.5),
    ({"cpu.max": "max 100000\n"}, "0::/\n", None),
    # cgroup v2 without a namespace: the group's own file, and a stricter parent wins
    ({"kubepods/pod1/c1/cpu.max": "400000 100000\n", "kubepods/pod1/cpu.max": "300000 100000\n",
      "kubepods/cpu.max": "max 100000\n"}, "0::/kubepods/pod1/c1\n", 3.0),
    # cgroup v1: quota over period, -1 for none; the controller mount named either way
    ({"cpu,cpuacct/cpu.cfs_quota_us": "250000\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n"},
     "12:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n", 2.5),
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, "4:cpu:/\n", None),
    # v1 with the host's path in /proc/self/cgroup and the container's group mounted at the top
    ({"cpu/docker/abc/cpu.cfs_quota_us": "100000\n", "cpu/docker/abc/cpu.cfs_period_us": "100000\n"},
     "4:cpu:/docker/abc\n", 1.0),
    # nothing readable: no limit
    ({}, "", None),
    ({"cpu.max": "garbage\n"}, "0::/\n", None),
])
def test_the_quota_is_quota_over_period(tmp_path, files, self_cgroup, quota):
    root, proc = fake_cgroup(tmp_path, files, self_cgroup)
    assert cpu_quota(root, proc) == quota


@pytest.mark.parametrize("cpu_max, cores, cpus", [
    ("150000 100000", 64, 2),  # 1.5 CPUs on a 64-core host: two processes' worth, rounded up
    ("200000 100000", 64, 2),
    ("50000 100000", 64, 1),
    ("800000 100000", 4, 4),  # a quota above the cores the process may run on changes nothing
    ("max 100000", 16, 16),
])
def test_usable_cpus_are_the_cores_cut_by_the_quota(tmp_path, cpu_max, cores, cpus):
    root, proc = fake_cgroup(tmp_path, {"cpu.max": cpu_max})
    assert available_cpus(root, proc, cores=cores) == cpus


def test_a_missing_cgroup_leaves_the_cores(tmp_path):
    assert available_cpus(tmp_path / "nowhere", tmp_path / "nothing", cores=3) == 3


@pytest.mark.parametrize("environ, cpus, workers", [
    ({}, 2, 5),  # gunicorn's 2 x CPUs + 1
    ({}, 1, 3),
    ({"WEB_CONCURRENCY": "7"}, 2, 7),  # the operator's number always wins
    ({"WEB_CONCURRENCY": ""}, 2, 5),  # blank counts as unset, like every other setting
])
def test_gunicorn_workers(environ, cpus, workers):
    assert gunicorn_workers(environ, cpus=cpus) == workers


def test_the_gunicorn_config_sizes_by_the_quota(monkeypatch):
    import importlib

    import service.cpu_quota as quota

    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setattr(quota, "available_cpus", lambda: 3)
    import gateway.gunicorn_conf as conf
    assert importlib.reload(conf).workers == 7
