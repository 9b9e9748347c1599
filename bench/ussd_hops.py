"""USSD hop benchmark, run by hand: `.venv/bin/python bench/ussd_hops.py` (needs wrk: `apt-get install wrk`).

What it does, all on 127.0.0.1, bounded in time:
1. makes a fresh PostgreSQL database (BENCH_DATABASE_URL's server), migrates and seeds it, and registers FARMERS
   farmers; uses Redis db 14 (BENCH_REDIS_URL), flushed first;
2. serves the real gateway and the floor app (bench/floor_app.py) under identical gunicorn settings;
3. drives each with wrk: every thread walks whole sessions, main menu -> mandi prices -> a crop's prices
   (three hops), on its own farmers; first flat out (peak), then the gateway at half its peak rate;
4. fills Redis with 100,000 mid-flow sessions through the real session store and measures memory per session.
Prints hops/s and p50/p95/p99 for both and the ratios against the targets of issue #3.
"""
from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
FARMERS = 4000
THREADS = int(os.environ.get("BENCH_THREADS", "8"))  # one connection each: a session's hops stay in order
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))  # gunicorn sync workers, the same for both apps
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
SESSIONS_FOR_MEMORY = 100_000

WRK_SCRIPT = """
local counter, thread_id = 0, 0
local per_thread = %(per_thread)d
local delay_ms = %(delay_ms)f
local threads = {}
function setup(thread) thread:set("id", #threads); table.insert(threads, thread) end
function init(args) thread_id = id end
function request()
  local session = math.floor(counter / 3)
  local step = counter %% 3
  counter = counter + 1
  local phone = string.format("+9198%%08d", thread_id * per_thread + (session %% per_thread))
  local text = ({"", "2", "2*1"})[step + 1]
  local body = "sessionId=bench-" .. thread_id .. "-" .. session .. "&serviceCode=*384*123%%23&networkCode=40445"
    .. "&phoneNumber=" .. (phone:gsub("%%+", "%%%%2B")) .. "&text=" .. (text:gsub("%%*", "%%%%2A"))
  return wrk.format("POST", "/africastalking/ussd", {["Content-Type"]="application/x-www-form-urlencoded"}, body)
end
function delay() return delay_ms end
function done(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, latency.max))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_database() -> str:
    from sqlalchemy import create_engine, insert, select, text
    from sqlalchemy.engine import make_url

    from farmdb import migrate
    from farmdb.db import make_engine, make_sessionmaker
    from farmdb.models import ConsentEvent, Crop, District, Farmer, FarmerCrop
    from farmdb.seed import load_all
    from farmdb.types import utcnow

    admin_url = make_url(PG).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "kheti_bench" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "kheti_bench"'))
    admin.dispose()
    url = admin_url.set(database="kheti_bench").render_as_string(hide_password=False)
    migrate.upgrade(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as db, db.begin():
        load_all(db)
        nashik = db.scalar(select(District).where(District.name == "Nashik"))
        crops = [db.scalar(select(Crop.id).where(Crop.code == c)) for c in ("onion", "soybean")]
        now = utcnow()
        rows = [{"phone": f"+9198{n:08d}", "name": f"Farmer {n}", "locale": "hi", "state_id": nashik.state_id,
                 "district_id": nashik.id, "sms_opted_out": False, "consent_given_at": now,
                 "consent_channel": "operator", "created_at": now, "updated_at": now} for n in range(FARMERS)]
        db.execute(insert(Farmer), rows)
        ids = db.scalars(select(Farmer.id).where(Farmer.name.like("Farmer %"))).all()
        db.execute(insert(FarmerCrop), [{"farmer_id": i, "crop_id": c} for i in ids for c in crops])
        db.execute(insert(ConsentEvent), [{"farmer_id": i, "action": "given", "channel": "operator",
                                           "notice": "bench", "at": now} for i in ids])
    engine.dispose()
    return url


def serve(module: str, env: dict, port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-k", "sync", "-b", f"127.0.0.1:{port}",
           "--log-level", "warning", "--timeout", "30", module]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"{module} did not start")


def run_wrk(port: int, seconds: int, delay_ms: float = 0.0) -> dict:
    script = WRK_SCRIPT % {"per_thread": FARMERS // THREADS, "delay_ms": delay_ms}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    out = subprocess.run(["wrk", "-t", str(THREADS), "-c", str(THREADS), "-d", f"{seconds}s", "--timeout", "5s",
                          "-s", f.name, f"http://127.0.0.1:{port}"], capture_output=True, text=True, timeout=seconds + 30)
    os.unlink(f.name)
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", out.stdout)
    if not match:
        raise SystemExit(f"wrk failed:\n{out.stdout}\n{out.stderr}")
    requests, duration_us, p50, p95, p99, errors, worst = map(int, match.groups())
    return {"hops_per_s": requests / (duration_us / 1e6), "p50_ms": p50 / 1000, "p95_ms": p95 / 1000,
            "p99_ms": p99 / 1000, "errors": errors, "max_ms": worst / 1000, "hops": requests}


def check_a_walk(port: int) -> None:
    """Before timing anything: the walk the load repeats really reaches the prices screen."""
    import requests
    form = {"sessionId": "bench-check", "serviceCode": "*384*123#", "networkCode": "40445",
            "phoneNumber": "+919899999999"}
    url = f"http://127.0.0.1:{port}/africastalking/ussd"
    answers = [requests.post(url, data={**form, "phoneNumber": "+919800000000", "text": t}, timeout=30).text
               for t in ("", "2", "2*1")]
    assert answers[0].startswith("CON Namaste Farmer!"), answers[0]
    assert "Rs " in answers[2] and "quintal" in answers[2], answers[2]


def redis_memory_per_session(client) -> float:
    from dialogs.model import Profile, Session
    from dialogs.store import SessionStore, Stored
    from dialogs.ussd import UssdLayout
    client.flushdb()
    store = SessionStore(client, ttl=180, resume_window=600, prefix="mem")
    reply = UssdLayout().render(*_prices_view())
    client.set("warmup", "x")
    before = client.info("memory")["used_memory"]
    with client.pipeline(transaction=False) as pipe:
        for n in range(SESSIONS_FOR_MEMORY):
            phone = f"+9198{n:08d}"
            session = Session(screen="prices", locale="hi", back=["main", "prices_crop"], answers={"crop": "onion"},
                              profile=Profile(100000 + n, f"Farmer {n}", "hi", 21, 337,
                                              {"onion": "2026-10-01", "soybean": None}))
            pipe.set(store.key(phone), Stored(f"ATUid_{n:024d}", "2*2", reply, session).dumps(), ex=600)
            if n % 5000 == 4999:
                pipe.execute()
        pipe.execute()
    after = client.info("memory")["used_memory"]
    client.flushdb()
    return (after - before) / SESSIONS_FOR_MEMORY


def _prices_view():
    from dialogs.model import Option, View
    lines = ("Pyaz bhav prati quintal, 21 Nov:", "Lasalgaon: Rs 1,850 (1,600-2,050)",
             "Pimpalgaon Baswant: Rs 1,920 (1,650-2,130)", "Nashik: Rs 1,790 (1,540-1,990)")
    return View(lines=lines, nav=(Option("0", "Peeche"), Option("00", "Mukhya menu"))), 0


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("needs wrk: apt-get install wrk")
    import redis
    sys.path.insert(0, str(ROOT))
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    print(f"preparing PostgreSQL (kheti_bench, {FARMERS} farmers) and Redis ({REDIS_URL}) ...", flush=True)
    database_url = prepare_database()
    gateway_port, floor_port = free_port(), free_port()
    common = {"REDIS_URL": REDIS_URL, "LOG_LEVEL": "WARNING", "SECRET_KEY": "bench-only-" + "k" * 40}
    gateway = serve("gateway.wsgi:app", {**common, "DATABASE_URL": database_url}, gateway_port)
    floor = serve("bench.floor_app:app", common, floor_port)
    try:
        check_a_walk(gateway_port)
        run_wrk(gateway_port, 3)  # warm: reference data loaded, connection pools filled
        run_wrk(floor_port, 3)
        client.flushdb()
        ours = run_wrk(gateway_port, SECONDS)
        base = run_wrk(floor_port, SECONDS)
        half_rate = ours["hops_per_s"] / 2
        client.flushdb()
        paced = run_wrk(gateway_port, SECONDS, delay_ms=THREADS * 1000 / half_rate)
    finally:
        for proc in (gateway, floor):
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
    per_session = redis_memory_per_session(client)
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    print(f"\nmachine: {os.cpu_count()} cores, {cpu}; python {platform.python_version()}; commit {commit}")
    print(f"server: gunicorn, {WORKERS} sync workers each; load: wrk, {THREADS} connections, {SECONDS} s per run; "
          f"walk: main menu -> prices -> a crop's prices (PostgreSQL + Redis)")
    print(f"{'':22} {'hops/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, r in (("gateway (peak)", ours), ("floor (peak)", base), ("gateway (half peak)", paced)):
        print(f"{name:22} {r['hops_per_s']:9.0f} {r['p50_ms']:8.2f} {r['p95_ms']:8.2f} {r['p99_ms']:8.2f} "
              f"{r['errors']:7d}")
    ratio = ours["hops_per_s"] / base["hops_per_s"]
    print(f"\nthroughput vs floor: {ratio:.0%} (target >= 60%)  {'OK' if ratio >= 0.6 else 'MISSED'}")
    print(f"p95 at {paced['hops_per_s']:.0f} hops/s (half peak {half_rate:.0f}): {paced['p95_ms']:.1f} ms "
          f"(target < 25 ms)  {'OK' if paced['p95_ms'] < 25 else 'MISSED'}")
    print(f"Redis memory per live session ({SESSIONS_FOR_MEMORY:,} sessions): {per_session:.0f} bytes "
          f"(target <= 1024)  {'OK' if per_session <= 1024 else 'MISSED'}")
    print(json.dumps({"gateway": ours, "floor": base, "half_peak": paced, "redis_bytes_per_session": per_session}))


if __name__ == "__main__":
    main()
