"""A call's turns over each provider's voice webhook, run by hand: `.venv/bin/python bench/voice_turns.py` (about
half a minute).

The whole app on the embedded default (SQLite in a scratch folder, the in-process Redis stand-in), reached through
the Flask test client as each provider reaches it: Twilio's request signed with X-Twilio-Signature, Plivo's with its
V3 signature and nonce, Africa's Talking's with its token. Each call is a new caller's first turn (the answer) and a
key pressed (a menu turn); the median and 95th percentile of each turn are printed with the ratio to the floor,
/healthz on the same app. What differs between providers is checking the signature and rendering the XML: Twilio
is the reference the Plivo figures are compared with.

Env: BENCH_CALLS (300).
"""
from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CALLS = int(os.environ.get("BENCH_CALLS", "300"))
PUBLIC = "https://calls.example.org"
TWILIO_TOKEN, PLIVO_TOKEN, AT_TOKEN = "bench-twilio-token", "bench-plivo-token", "bench-at-token"
LINE = "+912071234567"


def app_for(var_dir: str):
    from farmdb import migrate
    from farmdb.db import default_url, make_engine, make_sessionmaker
    from farmdb.seed import load_all
    from gateway import create_app
    from service.settings import Settings

    settings = Settings.from_env({}, var_dir=var_dir, public_base_url=PUBLIC, twilio_auth_token=TWILIO_TOKEN,
                                 plivo_auth_id="MA" + "B" * 18, plivo_auth_token=PLIVO_TOKEN,
                                 at_webhook_token=AT_TOKEN, log_level="ERROR")
    url = default_url(var_dir)
    migrate.upgrade(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as db, db.begin():
        load_all(db, demo_data=True)
    engine.dispose()
    return create_app(settings)


def twilio(n: int, turn: str | None) -> tuple[str, dict, dict]:
    from twilio.request_validator import RequestValidator
    form = {"CallSid": f"CA{n:032d}", "From": f"+9198{n:08d}", "To": LINE, "Direction": "inbound",
            "CallStatus": "in-progress"}
    if turn:
        form["Digits"] = "1"
    path = "/twilio/voice" + (f"?turn={turn}" if turn else "")
    return path, form, {"X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC + path, form)}


def plivo(n: int, turn: str | None) -> tuple[str, dict, dict]:
    from simulator.carriers.plivo import signature_headers
    form = {"CallUUID": str(uuid.UUID(int=n)), "From": f"9198{n:08d}", "To": LINE[1:], "Direction": "inbound",
            "CallStatus": "in-progress"}
    if turn:
        form.update(InputType="dtmf", Digits="1")
    path = "/plivo/voice" + (f"?turn={turn}" if turn else "")
    return path, form, signature_headers(PUBLIC + path, form, PLIVO_TOKEN)


def africastalking(n: int, turn: str | None) -> tuple[str, dict, dict]:
    form = {"sessionId": f"ATVId_{n:010d}", "isActive": "1", "direction": "Inbound", "callerNumber": f"+9198{n:08d}",
            "destinationNumber": LINE}
    if turn:
        form["dtmfDigits"] = "1"
    query = {"token": AT_TOKEN, **({"turn": turn} if turn else {})}
    return f"/africastalking/voice?{urlencode(query)}", form, {}


TURNS = {"twilio": (twilio, "gather"), "plivo": (plivo, "input"), "africastalking": (africastalking, "keys")}


def measure(client, provider: str, base: int) -> tuple[list[float], list[float]]:
    build, key_turn = TURNS[provider]
    answers, keys = [], []
    for n in range(base, base + CALLS):
        for turn, into in ((None, answers), (key_turn, keys)):
            path, form, headers = build(n, turn)  # signing is the provider's work, not ours: outside the clock
            started = time.perf_counter()
            response = client.post(path, data=form, headers=headers)
            into.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (provider, response.status_code, response.get_data(as_text=True))
    return answers, keys


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    with tempfile.TemporaryDirectory() as var_dir:
        client = app_for(var_dir).test_client()
        floor = []
        for _ in range(CALLS):
            started = time.perf_counter()
            client.get("/healthz")
            floor.append((time.perf_counter() - started) * 1000)
        for provider, (build, key_turn) in TURNS.items():  # warm-up: templates, catalogues, the NLU model
            for n in range(5):
                for turn in (None, key_turn):
                    path, form, headers = build(n, turn)
                    client.post(path, data=form, headers=headers)
        results = {provider: measure(client, provider, 10_000 * (i + 1)) for i, provider in enumerate(TURNS)}
    base = statistics.median(floor)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{CALLS} calls per provider; floor /healthz median {base:.2f} ms")
    reference = statistics.median(results["twilio"][1])
    for provider, (answers, keys) in results.items():
        print(f"{provider:15} answer median {statistics.median(answers):6.2f} ms p95 {p95(answers):6.2f} | "
              f"key turn median {statistics.median(keys):6.2f} ms p95 {p95(keys):6.2f} "
              f"({statistics.median(keys) / base:.0f}x floor, {statistics.median(keys) / reference:.2f}x twilio)")


if __name__ == "__main__":
    main()
