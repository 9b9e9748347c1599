"""Redis bytes per live USSD session, run by hand: `.venv/bin/python bench/redis_sessions.py` (about 20 s).

Uses Redis db 11 of 127.0.0.1 only (BENCH_REDIS_URL may name another host, never another use), flushed before and
after. For three kinds of caller it opens BENCH_SESSIONS sessions (default 10,000) each through the real session
store as the gateway does on a dial: `SessionStore.hop(phone, allowance)` takes the lock and the caller's allowance of
new sessions in one Lua script, the session is saved and the lock released by the second. Then it reads:
- INFO memory `used_memory` before and after (everything: keys, values, expiry entries, dict overhead), per session;
- `MEMORY USAGE` of a sample of each kind of key the store leaves per phone (the session, the allowance);
- the keys left per phone, and that they all hash to one Redis Cluster slot (redis.crc.key_slot, as the cluster does).
Prints one table and a JSON line. Nothing here is timed: the figures do not depend on the machine's load.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from redis.crc import key_slot  # noqa: E402

from dialogs.model import Option, Profile, Session, View  # noqa: E402
from dialogs.store import SessionStore, Stored  # noqa: E402
from dialogs.ussd import UssdLayout  # noqa: E402
from service.limits import CallerLimits  # noqa: E402

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
SESSIONS = int(os.environ.get("BENCH_SESSIONS", "10000"))
SAMPLE = 500  # keys per kind read with MEMORY USAGE (SAMPLES 0: every element counted)


def latin_prices(n: int) -> tuple[Session, View]:
    """A registered farmer reading a crop's prices (what bench/ussd_hops.py walks), romanised Hindi."""
    session = Session(screen="prices", locale="hi", back=["main", "prices_crop"], answers={"crop": "onion"},
                      profile=Profile(100000 + n, f"Farmer {n}", "hi", 21, 337,
                                      {"onion": "2026-10-01", "soybean": None}))
    view = View(lines=("Pyaz bhav prati quintal, 21 Nov:", "Lasalgaon: Rs 1,850 (1,600-2,050)",
                       "Pimpalgaon Baswant: Rs 1,920 (1,650-2,130)", "Nashik: Rs 1,790 (1,540-1,990)"),
                nav=(Option("0", "Peeche"), Option("00", "Mukhya menu")))
    return session, view


def devanagari_prices(n: int) -> tuple[Session, View]:
    """The same on a network that shows Devanagari (USSD_UCS2_NETWORKS): 80 characters, 3 bytes each in UTF-8."""
    session, _ = latin_prices(n)
    session.profile.name = f"किसान {n}"
    view = View(lines=("प्याज भाव प्रति क्विंटल, 21 नवं:", "लासलगांव: ₹1,850 (1,600-2,050)",
                       "पिंपलगांव बसवंत: ₹1,920 (1,650-2,130)"),
                nav=(Option("0", "पीछे"), Option("00", "मुख्य मेनू")))
    return session, view


def stranger_registering(n: int) -> tuple[Session, View]:
    """A caller not yet registered, half-way through registration (name, state and district given): no profile,
    but answers, and kept for the resume window because the form is worth continuing."""
    session = Session(screen="reg_crops", locale="mr", back=["language", "reg_name", "reg_state", "reg_district"],
                      answers={"name": f"Shetkari {n}", "state": 27, "district": 337})
    view = View(lines=("Tumchi pike nivda:",), options=tuple(Option(str(i), name) for i, name in enumerate(
        ("Kanda", "Soybean", "Kapus", "Gahu", "Harbhara", "Tur", "Maka"), start=1)),
        nav=(Option("0", "Mage"), Option("00", "Mukhya menu")), more=Option("98", "Pudhe"))
    return session, view


KINDS = (("registered, Latin prices screen", latin_prices, UssdLayout(182, 80)),
         ("registered, Devanagari prices screen", devanagari_prices, UssdLayout(182, 80)),
         ("stranger mid-registration", stranger_registering, UssdLayout(182, 80)))


def open_sessions(client: redis.Redis, make, layout: UssdLayout, offset: int) -> list[str]:
    """SESSIONS dials through the real store: lock + allowance + read in one script, save + release in another."""
    store = SessionStore(client, ttl=180, resume_window=600, prefix="ussd")
    limits = CallerLimits(client, sms_replies_per_hour=20, ussd_sessions_per_minute=6)
    phones = []
    for n in range(SESSIONS):
        phone = f"+9197{offset + n:08d}"
        session, view = make(n)
        with store.hop(phone, limits.ussd_sessions(phone)) as hop:
            assert hop.stored is None
            hop.save(Stored(f"ATUid_{n:024d}", "2*2", layout.render(view, 0), session), mid_flow=True)
        phones.append(phone)
    return phones


def memory_usage(client: redis.Redis, keys: list[str]) -> float:
    sizes = [client.memory_usage(key, samples=0) or 0 for key in keys[:SAMPLE]]
    return sum(sizes) / max(1, len(sizes))


def measure(client: redis.Redis, name: str, make, layout: UssdLayout, offset: int) -> dict:
    client.flushdb()
    client.set("warm", "x")  # the db's own dict exists before the first reading
    before = client.info("memory")["used_memory"]
    phones = open_sessions(client, make, layout, offset)
    after = client.info("memory")["used_memory"]
    keys_per_phone = sorted(k.decode() for k in client.scan_iter(match=f"*{{{phones[0]}}}*"))
    slots = {key_slot(k.encode()) for k in keys_per_phone}
    value = client.get(f"ussd:{{{phones[0]}}}")
    row = {
        "kind": name,
        "sessions": len(phones),
        "used_memory_per_session": (after - before) / len(phones),
        "session_key_bytes": memory_usage(client, [f"ussd:{{{p}}}" for p in phones]),
        "allowance_key_bytes": memory_usage(client, [f"limit:ussd_sessions:{{{p}}}" for p in phones]),
        "session_value_bytes": len(value),
        "keys_per_phone": keys_per_phone,
        "one_cluster_slot": len(slots) == 1,
        "session_ttl_s": client.ttl(f"ussd:{{{phones[0]}}}"),
        "allowance_ttl_s": client.ttl(f"limit:ussd_sessions:{{{phones[0]}}}"),
        "dbsize": client.dbsize() - 1,
    }
    client.flushdb()
    return row


def main() -> None:
    client = redis.Redis.from_url(REDIS_URL)
    if client.connection_pool.connection_kwargs.get("db") != 11:
        raise SystemExit("this bench uses Redis db 11 only (it flushes it): give BENCH_REDIS_URL .../11")
    rows = [measure(client, name, make, layout, i * SESSIONS) for i, (name, make, layout) in enumerate(KINDS)]
    server = client.info("server")
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    print(f"machine: {os.cpu_count()} cores, {cpu}; Redis {server['redis_version']} "
          f"({client.info('memory').get('mem_allocator', '?')}); commit {commit}; {SESSIONS:,} sessions per kind\n")
    print(f"{'kind':40} {'used_memory/session':>20} {'MEMORY USAGE session':>21} {'allowance':>10} {'value':>6}")
    for r in rows:
        print(f"{r['kind']:40} {r['used_memory_per_session']:20.0f} {r['session_key_bytes']:21.0f} "
              f"{r['allowance_key_bytes']:10.0f} {r['session_value_bytes']:6d}")
    first = rows[0]
    print(f"\nkeys a dial leaves per phone: {', '.join(first['keys_per_phone'])} "
          f"(TTL {first['session_ttl_s']} s and {first['allowance_ttl_s']} s); "
          f"one Redis Cluster slot: {all(r['one_cluster_slot'] for r in rows)}")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
