"""What one USSD hop costs each part, and what each process weighs: `.venv/bin/python bench/hop_cost.py` (~2 min).

For sizing pods (deploy/kubernetes, docs/scaling.md), not for speed: the figures are CPU time, which a busy machine
moves far less than it moves throughput. All on 127.0.0.1, bounded in count:
1. a scratch database (`kheti_scale_hops_<pid>`, dropped at the end) migrated, seeded with demo prices and FARMERS
   registered farmers; Redis db 11 only (flushed before and after);
2. the real gateway under gunicorn with the production settings file (gateway/gunicorn_conf.py, sync workers,
   PROMETHEUS_MULTIPROC_DIR set as in the image), WEB_CONCURRENCY processes;
3. HOPS hops from 8 threads, each walking whole sessions (dial, `2` mandi prices, `2*1` a crop's prices) as
   bench/ussd_hops.py does; CPU seconds read from /proc before and after for the gunicorn processes and the
   PostgreSQL backends of the scratch database, from INFO for Redis (the whole server), and Redis's commands;
4. the resident and proportional memory (RSS, PSS) of each gunicorn process after the run;
5. a real `kheti worker -Q sms.priority -c 4` and a `kheti beat`, their memory once started, and the worker's
   liveness probe exactly as deploy/kubernetes/base/workers.yaml runs it: once against the worker (must pass), once
   naming a worker that does not exist (must fail), with its CPU time.
"""
from __future__ import annotations

import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bench.broadcast import create_database  # noqa: E402


REDIS_URL = "redis://127.0.0.1:6379/11"
FARMERS = 2000
HOPS = int(os.environ.get("BENCH_HOPS", "6000"))
PROCESSES = int(os.environ.get("BENCH_WORKERS", "4"))
PROMETHEUS = os.environ.get("BENCH_PROMETHEUS", "1") == "1"  # PROMETHEUS_MULTIPROC_DIR set, as in the image
THREADS = 8
TICK = os.sysconf("SC_CLK_TCK")


def cpu_of(pids) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    return total


def tree(root: int) -> list[int]:
    """The process and its descendants (gunicorn's workers, Celery's pool)."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def memory_of(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MiB."""
    rollup = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        rollup[key] = int(value.split()[0])
    return rollup["Rss"] / 1024, rollup["Pss"] / 1024


def pg_backends(engine, database: str) -> list[int]:
    from sqlalchemy import text
    with engine.connect() as conn:
        return list(conn.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> "
                                      "pg_backend_pid()"), {"d": database}))


def prepare(database_url: str) -> None:
    from sqlalchemy import text

    from farmdb import migrate
    from farmdb.db import make_engine, make_sessionmaker
    from farmdb.seed import load_all
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as db, db.begin():
        load_all(db)
        db.execute(text("""
            INSERT INTO farmers (phone, name, locale, state_id, district_id, consent_given_at, consent_channel,
                                 sms_opted_out, created_at, updated_at)
            SELECT '+9198' || lpad(g::text, 8, '0'), 'Farmer ' || g, 'hi', d.state_id, d.id, now(), 'operator',
                   false, now(), now()
            FROM generate_series(0, :n - 1) AS g, districts d WHERE d.name = 'Nashik'"""), {"n": FARMERS})
        db.execute(text("INSERT INTO farmer_crops (farmer_id, crop_id) SELECT f.id, c.id FROM farmers f, crops c "
                        "WHERE c.code IN ('onion', 'soybean') AND f.name LIKE 'Farmer %'"))
    engine.dispose()


def walk(port: int, thread: int, hops: int, errors: list) -> None:
    import requests
    url = f"http://127.0.0.1:{port}/africastalking/ussd"
    per_thread = FARMERS // THREADS
    for n in range(hops):
        session, step = divmod(n, 3)
        phone = f"+9198{thread * per_thread + session % per_thread:08d}"
        form = {"sessionId": f"cost-{thread}-{session}", "serviceCode": "*384*123#", "networkCode": "40445",
                "phoneNumber": phone, "text": ("", "2", "2*1")[step]}
        answer = requests.post(url, data=form, timeout=10).text
        if not answer.startswith(("CON", "END")) or "busy" in answer.lower():
            errors.append(answer)


def drive(port: int, hops: int) -> tuple[int, float, list]:
    errors: list = []
    per = hops // THREADS // 3 * 3
    threads = [threading.Thread(target=walk, args=(port, t, per, errors)) for t in range(THREADS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return per * THREADS, time.monotonic() - started, errors


def start(command: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the gateway did not start")


def probe_command() -> str:
    spec = yaml.safe_load_all((ROOT / "deploy/kubernetes/base/workers.yaml").read_text())
    deployment = next(d for d in spec if d["metadata"]["name"] == "kheti-worker-priority")
    return deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["exec"]["command"][2]


def run_probe(env: dict, hostname: str) -> tuple[int, float, float]:
    """The probe as the kubelet runs it, with `socket.gethostname()` answering `hostname`: (exit, wall, CPU s)."""
    script = f"import socket; socket.gethostname = lambda: {hostname!r}\n" + probe_command()
    before = os.times()
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], env={**os.environ, **env}, capture_output=True,
                          timeout=60)
    after = os.times()
    return done.returncode, time.monotonic() - started, (after.children_user + after.children_system
                                                         - before.children_user - before.children_system)


def main() -> None:
    import redis
    from sqlalchemy.engine import make_url

    from farmdb.db import make_engine
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    database_url, drop = create_database("scale_hops")
    procs, results = [], {}
    prom = tempfile.mkdtemp(prefix="kheti-prom-")
    env = {"DATABASE_URL": database_url, "REDIS_URL": REDIS_URL, "LOG_LEVEL": "WARNING",
           "SECRET_KEY": "bench-only-" + "k" * 40, "WEB_CONCURRENCY": str(PROCESSES), "PYTHONPATH": str(ROOT),
           **({"PROMETHEUS_MULTIPROC_DIR": prom} if PROMETHEUS else {})}
    try:
        prepare(database_url)
        port = _free_port()
        gateway = start([sys.executable, "-m", "gunicorn", "--config", "gateway/gunicorn_conf.py", "-b",
                         f"127.0.0.1:{port}", "gateway.wsgi:app"], {**env, "PORT": str(port)})
        procs.append(gateway)
        wait_for_port(port)
        drive(port, 600)  # warm: pools filled, reference data cached, every process forked and loaded
        admin = make_engine(database_url)
        database = make_url(database_url).database
        pids, backends = tree(gateway.pid), pg_backends(admin, database)
        info0, cpu0 = client.info(), (cpu_of(pids), cpu_of(backends))
        hops, seconds, errors = drive(port, HOPS)
        info1 = client.info()
        cpu1 = (cpu_of(pids), cpu_of(pg_backends(admin, database)))
        new_backends = set(pg_backends(admin, database)) - set(backends)
        admin.dispose()
        redis_cpu = (info1["used_cpu_sys"] + info1["used_cpu_user"]) - (info0["used_cpu_sys"] + info0["used_cpu_user"])
        commands = info1["total_commands_processed"] - info0["total_commands_processed"]
        results["hops"] = {"hops": hops, "seconds": seconds, "errors": len(errors),
                           "gateway_cpu_ms": (cpu1[0] - cpu0[0]) * 1000 / hops,
                           "postgres_cpu_ms": (cpu1[1] - cpu0[1]) * 1000 / hops,
                           "redis_cpu_ms": redis_cpu * 1000 / hops, "redis_commands": commands / hops,
                           "new_backends_during_run": len(new_backends)}
        results["gateway_memory"] = [dict(zip(("rss_mib", "pss_mib"), memory_of(pid)), pid=pid,
                                          role="master" if pid == gateway.pid else "worker")
                                     for pid in tree(gateway.pid)]
        stop(gateway)
        # A worker and a beat, as the Deployments run them.
        worker_env = {**env, "CELERY_BROKER_URL": REDIS_URL}
        var = tempfile.mkdtemp(prefix="kheti-beat-")
        worker = start([sys.executable, "-m", "cli", "worker", "-Q", "sms.priority", "-c", "4", "--without-gossip",
                        "--without-mingle"], worker_env)  # the default node name, which the probe pings
        beat = start([sys.executable, "-m", "cli", "beat"], {**worker_env, "VAR_DIR": var})
        procs += [worker, beat]
        code = 1
        for _ in range(30):  # until the worker answers its own probe
            time.sleep(2)
            code, wall, cpu = run_probe(worker_env, socket.gethostname())
            if code == 0:
                break
        wrong = run_probe(worker_env, "no-such-worker")
        results["probe"] = {"own_worker_exit": code, "wall_s": wall, "cpu_s": cpu, "wrong_name_exit": wrong[0],
                            "wrong_name_wall_s": wrong[1]}
        results["worker_memory"] = [dict(zip(("rss_mib", "pss_mib"), memory_of(pid)), pid=pid)
                                    for pid in tree(worker.pid)]
        results["beat_memory"] = [dict(zip(("rss_mib", "pss_mib"), memory_of(pid)), pid=pid) for pid in tree(beat.pid)]
        results["beat_schedule_files"] = sorted(p.name for p in Path(var).iterdir())
    finally:
        for proc in procs:
            stop(proc)
        drop()
        client.flushdb()
    report(results)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def report(results: dict) -> None:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    h = results["hops"]
    total = h["gateway_cpu_ms"] + h["postgres_cpu_ms"] + h["redis_cpu_ms"]
    print(f"machine: {os.cpu_count()} cores, {cpu}; load {os.getloadavg()[0]:.2f}; commit {commit}")
    print(f"{h['hops']:,} hops in {h['seconds']:.1f} s ({h['hops'] / h['seconds']:.0f}/s, not a peak: 8 threads of "
          f"a Python client), {h['errors']} errors; gunicorn {PROCESSES} sync processes, "
          f"PROMETHEUS_MULTIPROC_DIR {'set' if PROMETHEUS else 'unset'}")
    print(f"CPU per hop: gateway {h['gateway_cpu_ms']:.2f} ms, PostgreSQL {h['postgres_cpu_ms']:.2f} ms, "
          f"Redis {h['redis_cpu_ms']:.3f} ms (whole server), total {total:.2f} ms")
    print(f"  so one core of gateway does {1000 / h['gateway_cpu_ms']:.0f} hops/s; one PostgreSQL core "
          f"{1000 / max(h['postgres_cpu_ms'], 1e-9):.0f}; one Redis core {1000 / max(h['redis_cpu_ms'], 1e-9):.0f}")
    print(f"Redis commands per hop: {h['redis_commands']:.2f} (whole server)")
    for name in ("gateway_memory", "worker_memory", "beat_memory"):
        rows = results[name]
        print(f"{name}: " + ", ".join(f"{r.get('role', 'proc')} RSS {r['rss_mib']:.0f} / PSS {r['pss_mib']:.0f} MiB"
                                      for r in rows) + f"; PSS total {sum(r['pss_mib'] for r in rows):.0f} MiB")
    p = results["probe"]
    print(f"worker liveness probe: exit {p['own_worker_exit']} for the worker ({p['wall_s']:.1f} s, "
          f"{p['cpu_s']:.2f} CPU s), exit {p['wrong_name_exit']} for a worker that does not exist "
          f"({p['wrong_name_wall_s']:.1f} s)")
    print(f"beat's VAR_DIR after start: {results['beat_schedule_files']}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
