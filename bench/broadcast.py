"""Broadcast benchmark, run by hand: `.venv/bin/python bench/broadcast.py` (about 2 minutes).

What it does, all on 127.0.0.1, bounded in time, cleaning up after itself (database dropped, workers stopped, broker
db flushed) even when it fails:
1. makes a throwaway PostgreSQL database (on BENCH_DATABASE_URL's server), migrates it, loads the reference data
   without demo data plus the demo DLT templates (header KHETIS), and inserts FARMERS consenting farmers in Nashik
   growing cotton (+91 numbers, locales en/hi/mr in turn) with one INSERT ... SELECT;
2. starts a real Celery worker on sms.bulk,default, `-c CONCURRENCY` (prefork), with Redis db 10 of BENCH_REDIS_URL as
   broker and REDIS_URL: this module run as `bench/broadcast.py worker`, which boots the service as `kheti worker`
   does, with two differences: a null sender for Africa's Talking, and the floor's task registered beside ours;
3. ours: creates a cotton advisory broadcast to Audience(district="Nashik") with service.broadcasts.advisory_broadcast
   in this process and commits (its dispatch task goes to the broker), then waits until every row is "sent";
4. the floor, in the same run, same broker and workers: the same rows bulk-inserted into a scratch copy of
   outbound_messages (INSERT ... SELECT, same indexes), and one bare task per 500-row chunk on sms.bulk (it takes the
   chunk's ids like send_bulk, and does one Redis INCRBY + SET so we know when the last one finished).
Prints each figure, messages per second end to end and per worker process, and the ratio to the floor.

The sender. Africa's Talking settings (sender id KHETIS, so DLT templates are matched by header as in production) and
the real send path: claim under a row lock, the rules re-checked per row, the shared Redis token bucket (one call per
chunk; SMS_RATE_PER_SECOND at its maximum, 100,000, so it never throttles), one transaction per AT bulk request of up
to 100 recipients (its answer recorded, the next claimed). Only the provider call is replaced: the worker's Service
uses NullSender for Africa's Talking, which returns a Receipt at once.
SEND_WINDOWS=none: the service_explicit advisory has no window, so the figures do not depend on the hour.

Env: BENCH_DATABASE_URL (default the local server), BENCH_REDIS_URL (db 10 is used), BENCH_FARMERS (100000),
BENCH_CONCURRENCY (2), BENCH_PYSPY=<dir>: record the workers with py-spy (must be installed) during the send phase.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from service.providers import Receipt  # noqa: E402
from service.providers.africastalking import NAME as AFRICASTALKING  # noqa: E402
from service.settings import Settings  # noqa: E402
from workers.app import boot, run_worker  # noqa: E402

PG = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = urlunsplit(urlsplit(os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10"))._replace(path="/10"))
FARMERS = int(os.environ.get("BENCH_FARMERS", "100000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "2"))
PYSPY_DIR = os.environ.get("BENCH_PYSPY")
CHUNK = 500  # as workers.sending.CHUNK
DONE_KEY, LAST_KEY = "bench:noop:done", "bench:noop:last"
NOOP = "bench.broadcast.noop"
SEND_TIMEOUT_S = 900


# --- the worker processes (`bench/broadcast.py worker`) -------------------------------------------------------------

class NullSender:
    """Takes every message at once, like a provider that answers in no time: the send path minus the network. It
    keeps Africa's Talking's allowance and DLT header, as the provider it stands in for."""
    name, sender_id, dlt_header, rate_limited = AFRICASTALKING, "KHETIS", "KHETIS", True

    def send(self, message) -> Receipt:
        return Receipt(provider="null", provider_message_id=f"null-{message.id}", status="sent")

    def send_many(self, messages) -> list[Receipt]:
        """AT's bulk request: many recipients of one text at once (without it, one request per message)."""
        return [self.send(message) for message in messages]


def worker_main() -> None:
    """`kheti worker -Q sms.bulk,default`, with the null sender and the floor's task."""
    service, app = boot(Settings.from_env())
    service.use_provider(AFRICASTALKING, NullSender())
    app.task(noop, name=NOOP, shared=False)
    run_worker(app, ["worker", "--queues", "sms.bulk,default", "--concurrency", str(CONCURRENCY),
                     "--loglevel", "WARNING"])


_counter = None


def noop(message_ids: list[int], broadcast_id: int | None = None) -> int:
    """The floor's task: takes a chunk like send_bulk, does nothing with it, and says it is done."""
    global _counter
    if _counter is None:
        import redis
        _counter = redis.Redis.from_url(os.environ["REDIS_URL"])
    with _counter.pipeline(transaction=False) as pipe:
        pipe.incrby(DONE_KEY, len(message_ids))
        pipe.set(LAST_KEY, repr(time.time()))
        pipe.execute()
    return len(message_ids)


# --- the run ------------------------------------------------------------------------------------------------------

def bench_env(database_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL, "CELERY_BROKER_URL": REDIS_URL,
        "SMS_PROVIDER": "africastalking", "AT_USERNAME": "sandbox", "AT_API_KEY": "bench-never-sent",
        "AT_SENDER_ID": "KHETIS", "SMS_RATE_PER_SECOND": "100000", "SEND_WINDOWS": "none",
        "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
    }


def create_database(kind: str = "broadcast") -> tuple[str, callable]:
    """A throwaway database on BENCH_DATABASE_URL's server; returns its URL and how to drop it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    name = f"kheti_bench_{kind}_{os.getpid()}"
    admin = create_engine(make_url(PG).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return admin.url.set(database=name).render_as_string(hide_password=False), drop


def prepare(database_url: str) -> dict:
    from sqlalchemy import select, text

    from farmdb import migrate
    from farmdb.db import make_engine, make_sessionmaker
    from farmdb.models import Advisory, Crop, District
    from farmdb.seed import demo, load_all
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as db, db.begin():
        load_all(db, demo_data=False)
        demo.load_dlt_templates(db)
        nashik = db.scalar(select(District).where(District.name == "Nashik"))
        cotton = db.scalar(select(Crop.id).where(Crop.code == "cotton"))
        advisory = db.scalar(select(Advisory.id).where(Advisory.crop_id == cotton).order_by(Advisory.id).limit(1))
        started = time.perf_counter()
        db.execute(text("""
            INSERT INTO farmers (phone, name, locale, state_id, district_id, registered_via, consent_given_at,
                                 consent_channel, sms_opted_out, created_at, updated_at)
            SELECT '+9197' || lpad(g::text, 8, '0'), 'Kisan ' || g, (ARRAY['en', 'hi', 'mr'])[1 + g % 3],
                   :state, :district, 'operator', now(), 'operator', false, now(), now()
            FROM generate_series(0, :n - 1) AS g"""), {"state": nashik.state_id, "district": nashik.id, "n": FARMERS})
        db.execute(text("INSERT INTO farmer_crops (farmer_id, crop_id) SELECT id, :crop FROM farmers"),
                   {"crop": cotton})
        seeded = time.perf_counter() - started
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return {"advisory_id": advisory, "farmers_insert_s": seeded}


def start_worker(env: dict, log_path: Path) -> subprocess.Popen:
    command = [sys.executable, str(Path(__file__).resolve()), "worker"]
    log = open(log_path, "wb")
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop_worker(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)  # warm shutdown: children finish their task
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def wait_until(condition, timeout: float, what: str, every: float = 0.1, worker=None, log_path=None):
    deadline = time.monotonic() + timeout
    while not condition():
        if worker is not None and worker.poll() is not None:
            raise SystemExit(f"the worker exited ({worker.returncode}) while waiting for {what}:\n"
                             + Path(log_path).read_text()[-3000:])
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def run_noops(app, client, chunks: list[list[int]]) -> float:
    """Publish one bare task per chunk; seconds from the first publish to the last task's end."""
    total = sum(len(c) for c in chunks)
    client.delete(DONE_KEY, LAST_KEY)
    started = time.time()
    for chunk in chunks:
        app.send_task(NOOP, (chunk, None), queue="sms.bulk")
    wait_until(lambda: int(client.get(DONE_KEY) or 0) >= total, SEND_TIMEOUT_S, "the floor's tasks", every=0.05)
    return float(client.get(LAST_KEY)) - started


def start_pyspy(worker: subprocess.Popen, name: str) -> subprocess.Popen | None:
    if not PYSPY_DIR:
        return None
    Path(PYSPY_DIR).mkdir(parents=True, exist_ok=True)
    local = Path(sys.executable).with_name("py-spy")
    command = [str(local) if local.exists() else "py-spy", "record", "--pid", str(worker.pid), "--subprocesses",
               "--rate", "200", "--format", "raw", "--output", str(Path(PYSPY_DIR) / f"{name}.txt"), "--nonblocking"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_pyspy(proc: subprocess.Popen | None) -> None:
    if proc is not None:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)


def cpu_seconds(worker: subprocess.Popen) -> dict[str, float]:
    """CPU seconds used so far by the worker's processes, every PostgreSQL and Redis server process, and this one:
    where the machine's two cores went during a phase (other users of the servers count too)."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"workers": 0.0, "postgres": 0.0, "redis": 0.0, "bench": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:
            continue
        pid = int(stat.parent.name)
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        if int(fields[2]) == worker.pid:  # process group: the worker and its pool processes
            used["workers"] += seconds
        elif comm.startswith("postgres"):
            used["postgres"] += seconds
        elif comm.startswith("redis-server"):
            used["redis"] += seconds
        elif pid == os.getpid():
            used["bench"] += seconds
    return used


def _spent(before: dict, after: dict) -> dict:
    return {name: after[name] - before[name] for name in before}


def main() -> None:
    import redis
    from sqlalchemy import func, select, text

    from farmdb.models import OutboundMessage
    from service.broadcasts import Audience, advisory_broadcast

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so that `finally` cleans up on kill too
    load = os.getloadavg()[0]  # other work on this machine moves every figure: say how busy it was
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    print(f"preparing PostgreSQL ({FARMERS:,} farmers) and Redis ({REDIS_URL}) ...", flush=True)
    database_url, drop = create_database()
    worker = service = None
    log_path = Path(tempfile.mkdtemp(prefix="kheti-bench-")) / "worker.log"
    try:
        prepared = {**prepare(database_url), "load": load}
        env = bench_env(database_url)
        worker = start_worker(env, log_path)
        settings = Settings.from_env(env)
        assert settings.send_windows.for_category("service_explicit") is None
        service, app = boot(settings)  # this process publishes to the same broker
        backends = service.backends
        # Warm-up: every worker process up and consuming (a task each), before anything is timed.
        run_noops(app, client, [[0]] * (CONCURRENCY * 4))

        # Ours: create the broadcast, commit (dispatch goes out), wait for every row to be sent.
        spy = start_pyspy(worker, "ours")
        cpu0 = cpu_seconds(worker)
        t0 = time.time()
        with backends.sessions() as db, db.begin():
            broadcast, plan, _ = advisory_broadcast(service, db, prepared["advisory_id"],
                                                    Audience(district="Nashik"), created_by="bench")
        t1 = time.time()
        cpu1 = cpu_seconds(worker)
        broadcast_id = broadcast.id
        assert plan.recipients == FARMERS, plan.as_dict()

        def pending() -> int:
            with backends.engine.connect() as conn:
                return conn.scalar(select(func.count()).where(OutboundMessage.broadcast_id == broadcast_id,
                                                              OutboundMessage.status.in_(("queued", "sending"))))
        wait_until(lambda: pending() == 0, SEND_TIMEOUT_S, "every row sent", every=0.25, worker=worker,
                   log_path=log_path)
        cpu2 = cpu_seconds(worker)
        stop_pyspy(spy)
        with backends.engine.connect() as conn:
            counts = dict(conn.execute(select(OutboundMessage.status, func.count())
                                       .where(OutboundMessage.broadcast_id == broadcast_id)
                                       .group_by(OutboundMessage.status)).all())
            attempts, last_sent = conn.execute(select(func.sum(OutboundMessage.attempts), func.max(
                OutboundMessage.sent_at)).where(OutboundMessage.broadcast_id == broadcast_id)).one()
            ids = conn.scalars(select(OutboundMessage.id).where(OutboundMessage.broadcast_id == broadcast_id)
                               .order_by(OutboundMessage.id)).all()
        assert counts == {"sent": FARMERS} and attempts == FARMERS, (counts, attempts)
        t2 = last_sent.timestamp()

        # The floor: the same rows bulk-inserted into a scratch copy of the table, one bare task per chunk.
        with backends.engine.begin() as conn:
            conn.execute(text("CREATE TABLE bench_floor (LIKE outbound_messages INCLUDING ALL)"))
        started = time.perf_counter()
        with backends.engine.begin() as conn:
            copied = conn.execute(text("INSERT INTO bench_floor SELECT * FROM outbound_messages "
                                       "WHERE broadcast_id = :b"), {"b": broadcast_id}).rowcount
        floor_insert = time.perf_counter() - started
        assert copied == FARMERS
        spy = start_pyspy(worker, "floor")
        floor_tasks = run_noops(app, client, [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)])
        stop_pyspy(spy)
    finally:  # every step, even when one before it fails
        steps = [lambda: stop_worker(worker) if worker is not None else None]
        if service is not None:
            steps.append(service.close)
        steps += [drop, client.flushdb, lambda: shutil.rmtree(log_path.parent, ignore_errors=True)]
        for step in steps:
            try:
                step()
            except Exception as exc:  # report it, and go on cleaning
                print(f"cleanup: {type(exc).__name__}: {exc}", file=sys.stderr)

    ours = {"create_s": t1 - t0, "send_s": t2 - t1, "total_s": t2 - t0,
            "cpu_create_s": _spent(cpu0, cpu1), "cpu_send_s": _spent(cpu1, cpu2)}
    floor = {"create_s": floor_insert, "send_s": floor_tasks, "total_s": floor_insert + floor_tasks}
    report(prepared, ours, floor)


def report(prepared: dict, ours: dict, floor: dict) -> None:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    n = FARMERS
    print(f"\nmachine: {os.cpu_count()} cores, {cpu}; python {platform.python_version()}; commit {commit}; "
          f"load average at start {prepared['load']:.2f}")
    print(f"{n:,} farmers (inserted in {prepared['farmers_insert_s']:.1f} s); worker: as kheti worker, -c {CONCURRENCY} "
          f"(prefork) on sms.bulk,default; broker and Redis: {REDIS_URL}; null sender; chunks of {CHUNK}")
    print(f"\n{'':34} {'ours':>10} {'floor':>10} {'ratio':>7}")
    rows = (("create the outbox rows (s)", "create_s"), ("dispatch -> all sent (s)", "send_s"),
            ("end to end (s)", "total_s"))
    for label, key in rows:
        print(f"{label:34} {ours[key]:10.2f} {floor[key]:10.2f} {floor[key] / ours[key]:7.0%}")
    for label, key in (("messages/s, sending", "send_s"), ("messages/s, end to end", "total_s")):
        print(f"{label:34} {n / ours[key]:10,.0f} {n / floor[key]:10,.0f} {floor[key] / ours[key]:7.0%}")
    per_process = n / ours["total_s"] / CONCURRENCY
    print(f"{'messages/s per worker process':34} {n / ours['send_s'] / CONCURRENCY:10,.0f} "
          f"{n / floor['send_s'] / CONCURRENCY:10,.0f}   (sending; end to end {per_process:,.0f})")
    for phase, key, wall in (("creating", "cpu_create_s", ours["create_s"]),
                             ("sending", "cpu_send_s", ours["send_s"] + 0.25)):
        spent = ours[key]
        print(f"CPU while {phase} ({wall:.1f} s, at most {wall * os.cpu_count():.0f} CPU-s): "
              + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in spent.items()))
    rate = n / ours["total_s"]
    print(f"\nend to end: {rate:,.0f} messages/s (target >= 2,000)  {'OK' if rate >= 2000 else 'MISSED'}; "
          f"one million farmers would take {1_000_000 / rate / 60:.1f} min")
    print(json.dumps({"farmers": n, "concurrency": CONCURRENCY, "ours": ours, "floor": floor}))


if __name__ == "__main__":
    worker_main() if sys.argv[1:] == ["worker"] else main()
