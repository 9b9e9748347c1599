"""Price-alert check benchmark, run by hand: `.venv/bin/python bench/price_alerts.py` (about 2 minutes).

What it does, all on 127.0.0.1, cleaning up after itself (database dropped, Redis db flushed) even when it fails:
1. makes a throwaway PostgreSQL database (on BENCH_DATABASE_URL's server), migrates it, loads the reference data
   without demo data plus the demo DLT templates (header KHETIS), and inserts ALERTS consenting farmers (+91 numbers,
   locales en/hi/mr in turn), 80% over every district of Maharashtra and 20% over those of Madhya Pradesh, Gujarat
   and Karnataka, each with one price alert (onion, soybean, cotton, wheat in turn; above and below mixed): half
   on the three mandis nearest the farmer's district (mandi_id NULL), half on one mandi of their district, or of
   their state when the district has none. One INSERT ... SELECT FROM unnest(...) each;
2. inserts one day of reported prices (source "agmarknet") for those crops at every mandi; the amounts are set from
   the price each alert will see (the same rule as the check: the alert's mandi, or the highest of the three nearest
   in reach for a rise, the lowest for a fall) so that about 10% cross that day and the rest do not. 5% of those
   that do not cross start disarmed (they fired before): the check arms them again. Alerts whose district has no
   mandi in reach see no price and are left alone;
3. ours: `service.prices.alerts.check(service, day)` end to end, in this process, as the worker task runs it: the
   crossed alerts' SMS are queued in bulk (service_explicit, DLT template matched) and their
   send tasks published to the broker, Redis db 11 of BENCH_REDIS_URL, which no worker consumes (the send is not
   the check's cost); checked against the expected counts;
4. ours again, the same day: nothing new crosses (the daily steady state);
5. the floor, same database, same run: the alerts reset to their state before step 3, then the least database work
   a check must do, in plain SQLAlchemy Core: per crop, the latest price at each mandi (one query); the active
   alerts in batches of service.prices.alerts.BATCH joined with their farmers (SELECT ... FOR UPDATE OF
   price_alerts SKIP LOCKED, keyset by id), one transaction a batch; last_price/last_price_date/armed (and, for
   those that fire, times_sent/last_sent_at) written with one executemany UPDATE per batch, only for the rows that
   change; one outbound_messages-like row per crossed alert inserted (one executemany) into a scratch copy
   (CREATE TABLE ... (LIKE outbound_messages INCLUDING ALL)). Then the floor again (steady state).
Prints the machine, each figure, alerts per second, and the ratio ours/floor.

SEND_WINDOWS=none: the figures do not depend on the hour. Africa's Talking settings (sender id KHETIS) so DLT
templates are matched by header as in production; a null sender is installed too, though nothing is sent here.

Env: BENCH_DATABASE_URL (default the local server), BENCH_REDIS_URL (db 11 is used), BENCH_ALERTS (100000).
"""
from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.broadcast import NullSender, bench_env, create_database  # noqa: E402
from service.providers.africastalking import NAME as AFRICASTALKING  # noqa: E402
from service.settings import Settings  # noqa: E402
from workers.app import boot  # noqa: E402

REDIS_URL = urlunsplit(urlsplit(os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11"))._replace(path="/11"))
ALERTS = int(os.environ.get("BENCH_ALERTS", "100000"))
HOME_STATE = "Maharashtra"
OTHER_STATES = ("Madhya Pradesh", "Gujarat", "Karnataka")
CROPS = ("onion", "soybean", "cotton", "wheat")
BASE_PRICE = {"onion": 1800, "soybean": 4600, "cotton": 7000, "wheat": 2400}  # rupees a quintal
CROSSING = 0.10  # of all alerts
DISARMED = 0.05  # of the alerts that do not cross, with a price: fired before, armed again by the check


# --- the data -----------------------------------------------------------------------------------------------------

def modal_price(mandi_id: int, crop: str) -> int:
    """A deterministic spread of +-10% around the crop's base price, by mandi."""
    spread = ((mandi_id * 7 + CROPS.index(crop) * 3) % 21 - 10) / 100
    return int(round(BASE_PRICE[crop] * (1 + spread), -1))


def nearest_mandis(ref, district_id: int | None, priced: list[int]) -> list[int]:
    """The rule of service.prices.alerts, written again: the NEAREST mandis with a price, within PRICE_REACH_KM."""
    from dialogs.flows.prices import PRICE_REACH_KM
    from service.prices.alerts import NEAREST
    from service.reference import distance_km
    home = ref.districts.get(district_id)
    near = sorted((distance_km(home, ref.districts[ref.mandis[m][1]]) if home else 0.0, m)
                  for m in priced if m in ref.mandis and ref.mandis[m][1] in ref.districts)
    return [m for km, m in near[:NEAREST] if km <= PRICE_REACH_KM]


def prepare(database_url: str, day: date) -> dict:
    """Reference data, farmers, alerts and one day's prices; returns what the check should find."""
    from sqlalchemy import select, text

    from farmdb import migrate
    from farmdb.db import make_engine, make_sessionmaker
    from farmdb.models import Crop, District, Mandi, State
    from farmdb.seed import demo, load_all
    from service.reference import ReferenceData
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    with sessions() as db, db.begin():
        load_all(db, demo_data=False)
        demo.load_dlt_templates(db)
    with sessions() as db:
        states = dict(db.execute(select(State.name, State.id)).all())
        crop_ids = {code: db.scalar(select(Crop.id).where(Crop.code == code)) for code in CROPS}
        districts = db.execute(select(District.id, District.state_id).order_by(District.state_id, District.name)).all()
        mandis = db.execute(select(Mandi.id, Mandi.district_id, District.state_id).join(District)
                            .order_by(Mandi.id)).all()
    ref = ReferenceData(sessions).fresh(0)
    home = [d for d, s in districts if s == states[HOME_STATE]]
    others = [d for d, s in districts if s in {states[name] for name in OTHER_STATES}]
    state_of = dict(districts)
    mandis_of_district: dict[int, list[int]] = {}
    mandis_of_state: dict[int, list[int]] = {}
    for mandi_id, district_id, state_id in mandis:
        mandis_of_district.setdefault(district_id, []).append(mandi_id)
        mandis_of_state.setdefault(state_id, []).append(mandi_id)
    priced = [m for m, _, _ in mandis]  # every mandi has a district: all get a price
    prices = {(m, crop): modal_price(m, crop) for m in priced for crop in CROPS}
    nearest = {d: nearest_mandis(ref, d, priced) for d in home + others}

    # Farmers and their alerts, decided here; the amounts from the price each alert will see.
    farmers = {"phone": [], "name": [], "locale": [], "state": [], "district": []}
    alerts = {"phone": [], "crop": [], "mandi": [], "district": [], "direction": [], "amount": [], "armed": []}
    with_price = []
    for g in range(ALERTS):
        district = home[(g // 10) % len(home)] if g % 10 < 8 else others[(g // 10) % len(others)]
        phone = f"+9198{g:08d}"
        farmers["phone"].append(phone)
        farmers["name"].append(f"Kisan {g}")
        farmers["locale"].append(("en", "hi", "mr")[g % 3])
        farmers["state"].append(state_of[district])
        farmers["district"].append(district)
        crop = CROPS[(g // 2) % len(CROPS)]
        direction = ("above", "below")[(g // 8) % 2]
        if g % 2 == 0:  # the three nearest the farmer's district
            mandi, watched = None, nearest[district]
        else:  # one mandi of the district, else of the state
            choices = mandis_of_district.get(district) or mandis_of_state[state_of[district]]
            mandi = choices[(g // 4) % len(choices)]
            watched = [mandi]
        seen = None
        if watched:
            pick = max if direction == "above" else min
            seen = pick(prices[(m, crop)] for m in watched)
            with_price.append(g)
        alerts["phone"].append(phone)
        alerts["crop"].append(crop_ids[crop])
        alerts["mandi"].append(mandi)
        alerts["district"].append(district if mandi is None else None)
        alerts["direction"].append(direction)
        alerts["amount"].append(seen if seen is not None else BASE_PRICE[crop])  # set below
        alerts["armed"].append(True)
    # About CROSSING of all alerts cross, spread evenly over those that see a price.
    share = min(1.0, CROSSING * ALERTS / max(1, len(with_price)))
    crossing = disarmed = 0
    for j, g in enumerate(with_price):
        step = 10 * (1 + g % 40)  # 10 to 400 rupees from the price
        up = alerts["direction"][g] == "above"
        if int((j + 1) * share) > int(j * share):  # crosses: the price is past the amount
            alerts["amount"][g] += -step if up else step
            crossing += 1
        else:
            alerts["amount"][g] += step if up else -step
            if (g // 3) % int(1 / DISARMED) == 0:
                alerts["armed"][g] = False
                disarmed += 1
    for g in set(range(ALERTS)) - set(with_price):  # no price in reach: an amount either side of the base price
        alerts["amount"][g] += 500 if g % 3 else -500

    with engine.begin() as conn:
        started = time.perf_counter()
        conn.execute(text("""
            INSERT INTO farmers (phone, name, locale, state_id, district_id, registered_via, consent_given_at,
                                 consent_channel, sms_opted_out, created_at, updated_at)
            SELECT f.phone, f.name, f.locale, f.state, f.district, 'operator', now(), 'operator', false, now(), now()
            FROM unnest(CAST(:phone AS text[]), CAST(:name AS text[]), CAST(:locale AS text[]),
                        CAST(:state AS int[]), CAST(:district AS int[])) AS f(phone, name, locale, state, district)"""),
                     farmers)
        conn.execute(text("""
            INSERT INTO price_alerts (farmer_id, crop_id, mandi_id, district_id, direction, amount, channel,
                                      expires_on, armed, times_sent, created_at, updated_at)
            SELECT f.id, a.crop, a.mandi, a.district, a.direction, a.amount, 'sms', :expires, a.armed, 0, now(), now()
            FROM unnest(CAST(:phone AS text[]), CAST(:crop AS int[]), CAST(:mandi AS int[]), CAST(:district AS int[]),
                        CAST(:direction AS text[]), CAST(:amount AS int[]), CAST(:armed AS bool[]))
                 WITH ORDINALITY AS a(phone, crop, mandi, district, direction, amount, armed, n)
            JOIN farmers f ON f.phone = a.phone ORDER BY a.n"""), {**alerts, "expires": day + timedelta(days=30)})
        rows = [{"crop": crop_ids[crop], "mandi": m, "day": day, "modal": modal}
                for (m, crop), modal in prices.items()]
        conn.execute(text("""
            INSERT INTO market_prices (crop_id, mandi_id, district_id, price_date, min_price, max_price, modal_price,
                                       source, variety, fetched_at)
            SELECT :crop, m.id, m.district_id, :day, :modal * 9 / 10, :modal * 11 / 10, :modal, 'agmarknet', '',
                   now()
            FROM mandis m WHERE m.id = :mandi"""), rows)
        seeded = time.perf_counter() - started
        # The state before the first check, to reset to before the floor.
        conn.execute(text("CREATE TABLE bench_alerts_before AS SELECT id, armed FROM price_alerts"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        server = conn.scalar(text("SHOW server_version"))
    engine.dispose()
    return {"insert_s": seeded, "prices": len(prices), "mandis": len(priced), "with_price": len(with_price),
            "crossing": crossing, "disarmed": disarmed, "postgres": server,
            "home_districts": len(home), "other_districts": len(others)}


# --- the floor ----------------------------------------------------------------------------------------------------

def floor_check(engine, day: date, scratch) -> dict:
    """The least database work of a check, in SQLAlchemy Core (see the module's docstring)."""
    from sqlalchemy import and_, bindparam, insert, select, update

    from farmdb.models import Crop, Farmer, Mandi, MarketPrice, PriceAlert
    from farmdb.types import utcnow
    from service.prices.alerts import BATCH, LOOK_BACK_DAYS
    from service.reference import ReferenceData
    from farmdb.db import make_sessionmaker
    ref = ReferenceData(make_sessionmaker(engine)).fresh(0)
    a, f = PriceAlert.__table__, Farmer.__table__
    active = and_(a.c.cancelled_at.is_(None), a.c.expires_on >= day)
    write = (update(a).where(a.c.id == bindparam("b_id"))
             .values(last_price=bindparam("b_price"), last_price_date=bindparam("b_day"),
                     armed=bindparam("b_armed"), times_sent=bindparam("b_times"),
                     last_sent_at=bindparam("b_sent_at"), updated_at=bindparam("b_now")))
    counts = {"alerts": 0, "sent": 0, "updated": 0}
    with engine.connect() as conn:
        crop_ids = conn.scalars(select(a.c.crop_id).where(active).distinct()).all()
        names = dict(conn.execute(select(Mandi.id, Mandi.name)).all())
        crops = dict(conn.execute(select(Crop.id, Crop.code)).all())
    for crop_id in crop_ids:
        with engine.connect() as conn:
            latest: dict[int, int] = {}  # the newest modal price at each mandi (one variety each here)
            for mandi_id, modal in conn.execute(
                    select(MarketPrice.mandi_id, MarketPrice.modal_price)
                    .where(MarketPrice.crop_id == crop_id, MarketPrice.source != "demo",
                           MarketPrice.price_date >= day - timedelta(days=LOOK_BACK_DAYS))
                    .order_by(MarketPrice.price_date.desc())):
                latest.setdefault(mandi_id, modal)
        nearest: dict[int | None, list[int]] = {}
        last_id = 0
        while True:
            with engine.begin() as conn:
                rows = conn.execute(
                    select(a.c.id, a.c.mandi_id, a.c.district_id, a.c.direction, a.c.amount, a.c.armed,
                           a.c.last_price, a.c.last_price_date, a.c.times_sent, a.c.last_sent_at,
                           f.c.id.label("farmer_id"), f.c.phone, f.c.locale, f.c.consent_given_at,
                           f.c.consent_withdrawn_at, f.c.sms_opted_out)
                    .join(f, f.c.id == a.c.farmer_id)
                    .where(a.c.crop_id == crop_id, active, a.c.id > last_id).order_by(a.c.id).limit(BATCH)
                    .with_for_update(of=a, skip_locked=True)).all()
                if not rows:
                    break
                last_id = rows[-1].id
                now, changes, messages = utcnow(), [], []
                for r in rows:
                    counts["alerts"] += 1
                    if r.mandi_id is not None:
                        watched = [r.mandi_id] if r.mandi_id in latest else []
                    else:
                        if r.district_id not in nearest:
                            nearest[r.district_id] = nearest_mandis(ref, r.district_id, list(latest))
                        watched = nearest[r.district_id]
                    if not watched:
                        continue
                    up = r.direction == "above"
                    mandi, price = (max if up else min)(((m, latest[m]) for m in watched), key=lambda p: p[1])
                    crossed = price >= r.amount if up else price <= r.amount
                    armed, times, sent_at = (not crossed) or r.armed, r.times_sent, r.last_sent_at
                    if crossed and r.armed and r.consent_given_at and not r.consent_withdrawn_at \
                            and not r.sms_opted_out:
                        armed, times, sent_at = False, times + 1, now
                        word = "above" if up else "below"
                        messages.append({
                            "idempotency_key": f"price-alert:{r.id}:{times}", "phone": r.phone,
                            "farmer_id": r.farmer_id, "locale": r.locale, "category": "service_explicit",
                            "purpose": "price_alert", "status": "queued", "encoding": "GSM-7", "segments": 1,
                            "attempts": 0, "created_at": now, "updated_at": now,
                            "body": f"Kheti Sahayak price alert: {crops[crop_id]} at {names[mandi]} is Rs {price} a "
                                    f"quintal on {day:%d %b}, {word} your Rs {r.amount}. Send ALERTS to see or "
                                    f"cancel alerts."})
                    if (price, day, armed, times) != (r.last_price, r.last_price_date, r.armed, r.times_sent):
                        changes.append({"b_id": r.id, "b_price": price, "b_day": day, "b_armed": armed,
                                        "b_times": times, "b_sent_at": sent_at, "b_now": now})
                if changes:
                    conn.execute(write, changes)
                if messages:
                    conn.execute(insert(scratch), messages)
                counts["updated"] += len(changes)
                counts["sent"] += len(messages)
    return counts


# --- the run ------------------------------------------------------------------------------------------------------

def main() -> None:
    import redis
    from sqlalchemy import MetaData, Table, func, select, text

    from farmdb.models import OutboundMessage
    from service.prices import alerts
    from service.prices.alerts import BATCH

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so that `finally` cleans up on kill too
    load = os.getloadavg()[0]
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    print(f"preparing PostgreSQL ({ALERTS:,} farmers and alerts) and Redis ({REDIS_URL}) ...", flush=True)
    database_url, drop = create_database("alerts")
    service = None
    try:
        env = {**bench_env(database_url), "REDIS_URL": REDIS_URL, "CELERY_BROKER_URL": REDIS_URL}
        settings = Settings.from_env(env)
        assert settings.send_windows.for_category("service_explicit") is None
        service, app = boot(settings)
        service.use_provider(AFRICASTALKING, NullSender())
        day = alerts.local_today(service)
        prepared = {**prepare(database_url, day), "load": load}
        engine = service.backends.engine

        runs = {}
        for run in ("ours", "ours_again"):
            cpu0 = cpu_now()
            t0 = time.perf_counter()
            checked = alerts.check(service, day)
            runs[run] = {"s": time.perf_counter() - t0, "cpu": spent(cpu0, cpu_now()), **checked.as_log()}
            print(f"{run}: {runs[run]}", flush=True)
        first, again = runs["ours"], runs["ours_again"]
        assert first["alerts"] == ALERTS and again["alerts"] == ALERTS, runs
        assert first["sent"] == prepared["crossing"] and first["armed"] == prepared["disarmed"], (runs, prepared)
        assert not first["skipped"] and again["sent"] == 0 and again["armed"] == 0, runs
        with engine.connect() as conn:
            queued = conn.scalar(select(func.count()).where(OutboundMessage.purpose == "price_alert",
                                                            OutboundMessage.status == "queued"))
        published = sum(client.llen(q) for q in (b"sms.priority", b"sms.bulk", b"default"))
        assert queued == first["sent"], (queued, first)

        # The floor: back to the state before the first check, then the least work, twice.
        with engine.begin() as conn:
            conn.execute(text("""UPDATE price_alerts p SET armed = b.armed, last_price = NULL, last_price_date = NULL,
                                 times_sent = 0, last_sent_at = NULL FROM bench_alerts_before b WHERE b.id = p.id"""))
            conn.execute(text("CREATE TABLE bench_floor (LIKE outbound_messages INCLUDING ALL)"))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE price_alerts"))
        scratch = Table("bench_floor", MetaData(), autoload_with=engine)
        for run in ("floor", "floor_again"):
            cpu0 = cpu_now()
            t0 = time.perf_counter()
            counts = floor_check(engine, day, scratch)
            runs[run] = {"s": time.perf_counter() - t0, "cpu": spent(cpu0, cpu_now()), **counts}
            print(f"{run}: {runs[run]}", flush=True)
        assert runs["floor"]["sent"] == first["sent"] and runs["floor_again"]["sent"] == 0, runs
    finally:  # every step, even when one before it fails
        steps = [service.close] if service is not None else []
        steps += [drop, client.flushdb]
        for step in steps:
            try:
                step()
            except Exception as exc:  # report it, and go on cleaning
                print(f"cleanup: {type(exc).__name__}: {exc}", file=sys.stderr)
    report(prepared, runs, BATCH, published)


def cpu_now() -> dict[str, float]:
    """CPU seconds so far of this process and of every PostgreSQL server process (other users count too)."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"bench": time.process_time(), "postgres": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:
            continue
        if raw[raw.index("(") + 1:raw.rindex(")")].startswith("postgres"):
            fields = raw[raw.rindex(")") + 2:].split()
            used["postgres"] += (int(fields[11]) + int(fields[12])) / tick
    return used


def spent(before: dict, after: dict) -> dict:
    """None when a PostgreSQL process (autovacuum, a closed connection) ended between the two readings."""
    return {name: round(after[name] - before[name], 2) if after[name] >= before[name] else None for name in before}


def report(prepared: dict, runs: dict, batch: int, published: int) -> None:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    n = ALERTS
    print(f"\nmachine: {platform.platform()}; {os.cpu_count()} cores, {cpu}; python {platform.python_version()}; "
          f"PostgreSQL {prepared['postgres']}; commit {commit}; load average at start {prepared['load']:.2f}")
    print(f"{n:,} alerts and farmers ({prepared['home_districts']} districts of {HOME_STATE}, "
          f"{prepared['other_districts']} of {', '.join(OTHER_STATES)}), {prepared['prices']} prices at "
          f"{prepared['mandis']} mandis, inserted in {prepared['insert_s']:.1f} s; {prepared['with_price']:,} alerts "
          f"see a price, {prepared['crossing']:,} cross, {prepared['disarmed']:,} start disarmed; batches of {batch}; "
          f"{published:,} send tasks published to {REDIS_URL} (not consumed)")
    print(f"\n{'':34} {'ours':>10} {'floor':>10} {'ours/floor':>11}   sent (ours/floor)   CPU-s ours: bench, postgres")
    for label, ours, floor in (("first check", "ours", "floor"), ("again (steady state)", "ours_again",
                                                                 "floor_again")):
        o, f = runs[ours], runs[floor]
        print(f"{label + ' (s)':34} {o['s']:10.2f} {f['s']:10.2f} {o['s'] / f['s']:10.1f}x   "
              f"{o['sent']:>7,} / {f['sent']:<7,}     {o['cpu']['bench']:.1f}, {o['cpu']['postgres'] or 'n/a'}")
        print(f"{label + ' (alerts/s)':34} {n / o['s']:10,.0f} {n / f['s']:10,.0f}")
    print(json.dumps({"alerts": n, "prepared": prepared, "runs": runs}, default=str))


if __name__ == "__main__":
    main()
