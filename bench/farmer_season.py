"""PostgreSQL rows and bytes per farmer per season, run by hand: `.venv/bin/python bench/farmer_season.py` (~1 min).

It makes a scratch database (`kheti_bench_scale_season_<pid>`) on the server of BENCH_DATABASE_URL (default the local one)
and drops it at the end; Redis db 11 (flushed before and after) is the broker nobody consumes, so committing a
broadcast only queues its dispatch. It migrates, loads the reference data and the demo DLT templates, registers
BENCH_FARMERS farmers (default 10,000: Nashik, onion and soybean, en/hi/mr in turn, one consent event each), then
writes one kharif season (17 weeks) of the traffic in SEASON below for every farmer:
- the weekly advisories through the real path (`service.broadcasts.advisory_broadcast`: one INSERT ... SELECT per
  language, the broadcast row, the idempotency keys);
- everything else as the code writes it (same columns, key formats and typical lengths), in bulk SQL: SMS in and
  their replies, crop-stage advice, weather alerts, USSD end-of-session rows, calls, tickets and their SMS, payments;
- every SMS then moves through its life as the workers and delivery reports move it (sending, sent with the
  provider's id, delivered with cost): three UPDATEs, so the table carries the dead rows those leave.
Then it reads pg_total_relation_size (table + indexes + TOAST) per table twice: after a plain VACUUM (what
autovacuum keeps: dead rows' space reusable, not returned) and after VACUUM FULL (live rows only).
SEASON is an assumption about farmers' habits, not a measurement: change it and run again.
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

from bench.broadcast import create_database  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/11"
FARMERS = int(os.environ.get("BENCH_FARMERS", "10000"))
WEEKS = 17  # a kharif season, June to September
VACUUM_BETWEEN = os.environ.get("BENCH_VACUUM_BETWEEN", "1") == "1"

# Per farmer per season (assumptions; see docs/scaling.md).
SEASON = {
    "weekly advisory broadcasts": WEEKS,
    "crop-stage advice SMS (2 crops x 4 stages)": 8,
    "weather alert SMS": 4,
    "SMS questions (inbound), each answered by one reply": WEEKS,
    "USSD sessions (one end-of-session row each)": 2 * WEEKS,
    "calls (hotline, missed call, call-back)": 3,
    "tickets per farmer (pest reports, call-backs), each with 2 SMS and 1 audit row": 0.25,
    "payments per farmer (10% subscribe: link + receipt SMS, 2 webhook events, a subscription)": 0.1,
}

REPLY = {"en": "Onion price today, Lasalgaon: Rs 1,850/qtl (1,600-2,050). Pimpalgaon: Rs 1,920. Nashik: Rs 1,790.",
         "hi": "आज प्याज भाव, लासलगांव: ₹1,850/क्विंटल (1,600-2,050)। पिंपलगांव: ₹1,920। नाशिक: ₹1,790।",
         "mr": "आजचा कांदा भाव, लासलगाव: ₹1,850/क्विंटल (1,600-2,050). पिंपळगाव: ₹1,920. नाशिक: ₹1,790."}
QUESTION = {"en": "onion price nashik", "hi": "pyaz ka bhav kya hai", "mr": "kanda bhav lasalgaon"}
STAGE = {"en": "Soybean, flowering: keep the field weed-free and watch for girdle beetle; spray only if found.",
         "hi": "सोयाबीन, फूल आने पर: खेत खरपतवार मुक्त रखें, गर्डल बीटल देखें; दिखे तभी छिड़काव करें।",
         "mr": "सोयाबीन, फुलोरा: शेत तणमुक्त ठेवा, चक्री भुंगा पहा; दिसल्यासच फवारणी करा."}
ALERT = {"en": "Kheti Sahayak: heavy rain likely in Nashik tomorrow (70 mm). Delay spraying, clear field drains.",
         "hi": "खेती सहायक: कल नाशिक में भारी बारिश (70 मिमी) संभव। छिड़काव टालें, खेत की नालियाँ साफ रखें।",
         "mr": "खेती सहायक: उद्या नाशिकमध्ये मुसळधार पाऊस (70 मिमी) शक्य. फवारणी टाळा, शेतातील चर मोकळे ठेवा."}


def sizes(conn) -> dict[str, tuple[int, int]]:
    from sqlalchemy import text
    rows = conn.execute(text("""
        SELECT c.relname, pg_total_relation_size(c.oid)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname = 'public' AND c.relname <> 'alembic_version'""")).all()
    out = {}
    for table, size in rows:
        out[table] = (conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar(), size)
    return out


def seed(engine) -> dict:
    from sqlalchemy import select, text

    from farmdb.db import make_sessionmaker
    from farmdb.models import Advisory, Crop, District
    from farmdb.seed import demo, load_all
    with make_sessionmaker(engine)() as db, db.begin():
        load_all(db, demo_data=False)
        demo.load_dlt_templates(db)
        nashik = db.scalar(select(District).where(District.name == "Nashik"))
        onion, soybean = (db.scalar(select(Crop.id).where(Crop.code == c)) for c in ("onion", "soybean"))
        template = db.scalar(select(Advisory).where(Advisory.crop_id == onion).order_by(Advisory.id).limit(1))
        advisories = []
        for week in range(WEEKS):  # one advisory a week, as an agronomist writes them
            advisory = Advisory(key=f"season-onion-week-{week}", crop_id=onion, stage=template.stage,
                                state_id=nashik.state_id, texts=dict(template.texts))
            db.add(advisory)
            advisories.append(advisory)
        db.flush()
        db.execute(text("""
            INSERT INTO farmers (phone, name, locale, state_id, district_id, village, registered_via,
                                 consent_given_at, consent_channel, sms_opted_out, created_at, updated_at)
            SELECT '+9197' || lpad(g::text, 8, '0'), 'Kisan ' || g, (ARRAY['en', 'hi', 'mr'])[1 + g % 3],
                   :state, :district, 'Vinchur', 'ussd', now(), 'ussd', false, now(), now()
            FROM generate_series(0, :n - 1) AS g"""), {"state": nashik.state_id, "district": nashik.id, "n": FARMERS})
        db.execute(text("INSERT INTO farmer_crops (farmer_id, crop_id, sown_on) "
                        "SELECT id, c, current_date - 40 FROM farmers, unnest(ARRAY[:a, :b]) AS c"),
                   {"a": onion, "b": soybean})
        db.execute(text("INSERT INTO consent_events (farmer_id, action, channel, notice, at) "
                        "SELECT id, 'given', 'ussd', 'consent.notice:v2', now() FROM farmers"))
        return {"advisories": [a.id for a in advisories], "soybean": soybean, "district": nashik.id}


def weekly_broadcasts(engine, advisories: list[int]) -> None:
    """The real path: what `kheti broadcast create` and the API do, committed (the dispatch goes to the broker)."""
    from service.broadcasts import Audience, advisory_broadcast
    from service.settings import Settings
    from workers.app import boot
    env = {"DATABASE_URL": engine.url.render_as_string(hide_password=False), "REDIS_URL": REDIS_URL,
           "CELERY_BROKER_URL": REDIS_URL, "SMS_PROVIDER": "africastalking", "AT_USERNAME": "sandbox",
           "AT_API_KEY": "bench-never-sent", "AT_SENDER_ID": "KHETIS", "SEND_WINDOWS": "none",
           "LOG_LEVEL": "WARNING"}
    service, _ = boot(Settings.from_env(env))
    try:
        for advisory_id in advisories:
            with service.backends.sessions() as db, db.begin():
                broadcast, plan, _ = advisory_broadcast(service, db, advisory_id, Audience(district="Nashik"),
                                                        created_by="agronomist")
                assert plan.recipients == FARMERS, plan.as_dict()
    finally:
        service.backends.close()


def other_traffic(conn, seeded: dict) -> None:
    """The rest of a season, in the code's shapes (see each table's writer in service/ and gateway/)."""
    from sqlalchemy import text
    p = {"soy": seeded["soybean"], "district": seeded["district"], "weeks": WEEKS,
         "reply": json.dumps(REPLY, ensure_ascii=False), "question": json.dumps(QUESTION),
         "stage": json.dumps(STAGE, ensure_ascii=False), "alert": json.dumps(ALERT, ensure_ascii=False)}
    # SMS in (service.sms_inbox) and one reply each (idempotency key reply:<provider>:<provider's message id>).
    conn.execute(text("""
        INSERT INTO inbound_messages (provider, provider_message_id, channel, phone, to_address, text, farmer_id,
                                      intent, received_at, processed_at, extra)
        SELECT 'africastalking', 'ATXid_' || md5(f.id || ':' || w), 'sms', f.phone, '56263',
               (CAST(:question AS json)) ->> f.locale, f.id, 'market_price',
               now() - w * interval '7 days', now() - w * interval '7 days', '{"confidence": 0.91}'
        FROM farmers f, generate_series(1, :weeks) AS w"""), p)
    conn.execute(text("""
        INSERT INTO outbound_messages (idempotency_key, phone, farmer_id, body, locale, category, purpose,
                                       template_id, dlt_entity_id, status, encoding, segments, estimated_cost,
                                       attempts, created_at, updated_at)
        SELECT 'reply:africastalking:' || i.provider_message_id, i.phone, i.farmer_id,
               'Kheti Sahayak: ' || ((CAST(:reply AS json)) ->> f.locale), f.locale, 'service_implicit', 'reply',
               '1107170000000000101', '1101000000000000001', 'queued',
               CASE WHEN f.locale = 'en' THEN 'GSM-7' ELSE 'UCS-2' END, CASE WHEN f.locale = 'en' THEN 1 ELSE 2 END,
               0.4, 0, i.received_at, i.received_at
        FROM inbound_messages i JOIN farmers f ON f.id = i.farmer_id"""), p)
    # Crop-stage advice (workers.alerts: Personal rows of a stage_advisory broadcast, keyed per farmer, crop and
    # stage) and weather alerts (a broadcast's rows, keyed broadcast:<id>:farmer:<id>).
    for kind, per_farmer, body, key in (("stage_advisory", 8, "stage", "stage:%s:%s:s%s:2026-06-10"),
                                        ("weather_alert", 4, "alert", "broadcast:%s:farmer:%s")):
        for n in range(per_farmer):
            bid = conn.execute(text("""
                INSERT INTO broadcasts (key, kind, audience, category, status, created_by, recipients, segments,
                                        estimated_cost, currency, dispatched_at, created_at, updated_at)
                VALUES (:key, :kind, '{"district": "Nashik"}', 'service_explicit', 'dispatched', 'beat', :n, :n,
                        0, 'INR', now(), now(), now()) RETURNING id"""),
                {"key": f"{kind}:{n}", "kind": kind, "n": FARMERS}).scalar()
            conn.execute(text("""
                INSERT INTO outbound_messages (idempotency_key, phone, farmer_id, body, locale, category, purpose,
                                               template_id, dlt_entity_id, broadcast_id, status, encoding, segments,
                                               estimated_cost, attempts, created_at, updated_at)
                SELECT CASE WHEN :kind = 'weather_alert' THEN format(:key, b.id, f.id)
                            ELSE format(:key, f.id, :soy, :n) END,
                       f.phone, f.id, (CAST(:body AS json)) ->> f.locale, f.locale,
                       'service_explicit', :kind, '1107170000000000102', '1101000000000000001', b.id, 'queued',
                       CASE WHEN f.locale = 'en' THEN 'GSM-7' ELSE 'UCS-2' END,
                       CASE WHEN f.locale = 'en' THEN 1 ELSE 2 END, 0.4, 0, now(), now()
                FROM farmers f, broadcasts b WHERE b.id = :bid"""),
                {**p, "body": p[body], "kind": kind, "n": n, "bid": bid, "key": key})
    # USSD end-of-session rows (gateway/africastalking/ussd.py: ussd_session_ended), two sessions a week.
    conn.execute(text("""
        INSERT INTO ussd_sessions (session_id, phone, service_code, network_code, status, duration_ms, hops,
                                   last_screen, input, cost, ended_at)
        SELECT 'ATUid_' || md5(f.id || '-u' || s), f.phone, '*384*123#', '40445', 'Success', 41000, 4,
               'Pyaz bhav prati quintal, 21 Nov:' || chr(10) || 'Lasalgaon: Rs 1,850 (1,600-2,050)' || chr(10)
               || 'Pimpalgaon Baswant: Rs 1,920 (1,650-2,130)' || chr(10) || '0 Peeche' || chr(10) || '00 Mukhya menu',
               '2*1', 'KES 0.0000', now() - s * interval '3 days'
        FROM farmers f, generate_series(1, 2 * :weeks) AS s"""), p)
    # Calls (service.call_log): two hotline calls and a missed call rung back, per farmer.
    conn.execute(text("""
        INSERT INTO call_logs (provider, call_id, kind, direction, phone, line, farmer_id, status, last_screen,
                               duration_s, cost, cost_currency, ended_at, created_at, updated_at)
        SELECT 'twilio', 'CA' || md5(f.id || '-c' || c), (ARRAY['hotline', 'hotline', 'missed_call'])[c],
               CASE WHEN c = 3 THEN 'outbound' ELSE 'inbound' END, f.phone, '+918069000000', f.id, 'completed',
               'prices_crop', 95, 0.95, 'INR', now(), now(), now()
        FROM farmers f, generate_series(1, 3) AS c"""), p)
    # Tickets for one farmer in four (service.tickets), each with its ticket SMS, an answer SMS and an audit row.
    conn.execute(text("""
        INSERT INTO expert_requests (ticket, farmer_id, crop_id, kind, channel, description, status, answer,
                                     answered_at, outcome, closed_at, created_at, updated_at)
        SELECT 'KS-' || lpad(f.id::text, 7, '0'), f.id, :soy, 'pest_report', 'ussd',
               'Leaves yellow with holes, small green caterpillars under the leaves', 'closed',
               'Spray neem oil 5 ml per litre in the evening; send a photo to the desk if it spreads.', now(),
               'answered', now(), now(), now()
        FROM farmers f WHERE f.id % 4 = 0"""), p)
    conn.execute(text("""
        INSERT INTO outbound_messages (idempotency_key, phone, farmer_id, body, locale, category, purpose,
                                       template_id, dlt_entity_id, status, encoding, segments, estimated_cost,
                                       attempts, created_at, updated_at)
        SELECT k || e.ticket, f.phone, f.id, 'Kheti Sahayak: ticket ' || e.ticket || ': ' || coalesce(e.answer, ''),
               f.locale, 'service_implicit', 'ticket', '1107170000000000103', '1101000000000000001', 'queued',
               'GSM-7', 1, 0.2, 0, now(), now()
        FROM expert_requests e JOIN farmers f ON f.id = e.farmer_id, unnest(ARRAY['ticket:', 'ticket:answer:']) AS k
        """), p)
    conn.execute(text("""
        INSERT INTO audit_events (at, operator_id, actor, action, target_type, target_id, detail, remote_addr)
        SELECT now(), 2, 'asha', 'ticket.answer', 'ticket', e.ticket, '{"channel": "sms", "chars": 88}',
               '10.20.30.40' FROM expert_requests e"""))
    # Payments for one farmer in ten (service.payments): link and receipt SMS, two webhook events, a plan.
    conn.execute(text("""
        INSERT INTO payments (farmer_id, plan_id, amount_minor, currency, purpose, provider, provider_ref, link_url,
                              status, idempotency_key, paid_at, expires_at, provider_payment_id, created_at,
                              updated_at)
        SELECT f.id, (SELECT min(id) FROM plans), 9900, 'INR', 'subscription', 'razorpay',
               'plink_' || substr(md5(f.id::text), 1, 14), 'https://rzp.io/i/' || substr(md5(f.id::text), 1, 10),
               'paid', 'subscribe:' || f.id || ':kharif:2026-06-10', now(), now() + interval '2 days',
               'pay_' || substr(md5(f.id || 'p'), 1, 14), now(), now()
        FROM farmers f WHERE f.id % 10 = 0"""))
    conn.execute(text("""
        INSERT INTO payment_events (provider, event_id, event, payment_id, received_at)
        SELECT 'razorpay', 'evt_' || substr(md5(p.id || e), 1, 14), e, p.id, now()
        FROM payments p, unnest(ARRAY['payment_link.paid', 'payment.captured']) AS e"""))
    conn.execute(text("""
        INSERT INTO subscriptions (farmer_id, plan_id, payment_id, status, starts_at, ends_at, created_at,
                                   updated_at)
        SELECT p.farmer_id, p.plan_id, p.id, 'active', now(), now() + interval '120 days', now(), now()
        FROM payments p"""))
    conn.execute(text("""
        INSERT INTO outbound_messages (idempotency_key, phone, farmer_id, body, locale, category, purpose,
                                       template_id, dlt_entity_id, status, encoding, segments, estimated_cost,
                                       attempts, created_at, updated_at)
        SELECT k || p.id, f.phone, f.id, 'Kheti Sahayak: pay Rs 99 for the kharif plan: ' || p.link_url,
               f.locale, 'service_implicit', 'payment', '1107170000000000104', '1101000000000000001', 'queued',
               'GSM-7', 1, 0.2, 0, now(), now()
        FROM payments p JOIN farmers f ON f.id = p.farmer_id, unnest(ARRAY['payment_link:', 'receipt:payment:']) AS k
        """))


def life_of_every_sms(engine) -> None:
    """Claimed, sent, delivered: as workers.sending and the delivery reports write them, three statements. With
    BENCH_VACUUM_BETWEEN=1 (the default) a VACUUM follows each, as autovacuum would when it keeps up; with 0 none
    does, as on a big table whose 20% threshold (autovacuum_vacuum_scale_factor) a season never reaches."""
    from sqlalchemy import text
    steps = ("UPDATE outbound_messages SET status = 'sending', attempts = attempts + 1, updated_at = now()",
             "UPDATE outbound_messages SET status = 'sent', provider = 'africastalking', "
             "provider_message_id = 'ATXid_' || md5(id::text), provider_status = 'Success', sent_at = now(), "
             "updated_at = now()",
             "UPDATE outbound_messages SET status = 'delivered', provider_status = 'Success', delivered_at = now(), "
             "cost = 0.1800, cost_currency = 'INR', updated_at = now()")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for step in steps:
            conn.execute(text(step))
            if VACUUM_BETWEEN:
                conn.execute(text("VACUUM outbound_messages"))


PER_FARMER = ("farmers", "farmer_crops", "consent_events", "outbound_messages", "inbound_messages", "ussd_sessions",
              "call_logs", "expert_requests", "payments", "payment_events", "subscriptions", "audit_events",
              "broadcasts")


def main() -> None:
    import redis
    from sqlalchemy import text

    from farmdb import migrate
    from farmdb.db import make_engine
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    database_url, drop = create_database("scale_season")
    try:
        migrate.upgrade(database_url)
        engine = make_engine(database_url)
        with engine.connect() as conn:
            empty = sizes(conn)
        seeded = seed(engine)
        weekly_broadcasts(engine, seeded["advisories"])
        with engine.begin() as conn:
            other_traffic(conn, seeded)
        life_of_every_sms(engine)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
            steady = sizes(conn)
            conn.execute(text("VACUUM FULL ANALYZE"))
            compact = sizes(conn)
            version = conn.execute(text("SHOW server_version")).scalar()
        engine.dispose()
    finally:
        drop()
        client.flushdb()
    report(empty, steady, compact, version)


def report(empty: dict, steady: dict, compact: dict, version: str) -> None:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    print(f"machine: {os.cpu_count()} cores, {cpu}; PostgreSQL {version}; commit {commit}")
    print(f"{FARMERS:,} farmers, one season ({WEEKS} weeks) each of:  (VACUUM between an SMS's updates: "
          f"{'yes' if VACUUM_BETWEEN else 'no'})")
    for what, n in SEASON.items():
        print(f"  {n:>6} {what}")
    print(f"\n{'table':18} {'rows':>9} {'rows/farmer':>11} {'bytes/row':>9} "
          f"{'bytes/farmer (vacuumed)':>23} {'(after VACUUM FULL)':>19}")
    totals = [0, 0]
    per_table = {}
    for table in PER_FARMER:
        rows, size = steady[table]
        size -= empty[table][1]  # a table's empty pages and index roots are no one's
        full = compact[table][1] - empty[table][1]
        totals[0] += size
        totals[1] += full
        per_table[table] = {"rows": rows, "bytes": size, "bytes_full": full}
        print(f"{table:18} {rows:9,} {rows / FARMERS:11.2f} {size / max(rows, 1):9.0f} "
              f"{size / FARMERS:23,.0f} {full / FARMERS:19,.0f}")
    print(f"{'per farmer':18} {'':9} {'':11} {'':9} {totals[0] / FARMERS:23,.0f} {totals[1] / FARMERS:19,.0f}")
    reference = sum(size for table, (_, size) in steady.items() if table not in PER_FARMER)
    print(f"\nreference data (states, districts, crops, mandis, advisories, plans, DLT templates): "
          f"{reference / 1e6:.1f} MB, whatever the number of farmers")
    print(json.dumps({"farmers": FARMERS, "weeks": WEEKS, "vacuum_between": VACUUM_BETWEEN, "season": SEASON,
                      "tables": per_table,
                      "bytes_per_farmer": totals[0] / FARMERS, "bytes_per_farmer_full": totals[1] / FARMERS,
                      "reference_bytes": reference}))


if __name__ == "__main__":
    main()
