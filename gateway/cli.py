"""`kheti`: one command line for operators and developers. Later issues add their subcommands to `main`."""
from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import click

from gateway.settings import Settings, SettingsError


class KhetiGroup(click.Group):
    """A configuration problem found anywhere in a command stops it with one line naming the variable."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            click.echo(f"kheti: configuration error: {exc}", err=True)
            sys.exit(2)


def _settings() -> Settings:
    settings = Settings.from_env()
    from gateway.logs import configure_logging
    configure_logging(settings.log_level)
    return settings


def with_settings(command):
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        return command(_settings(), *args, **kwargs)
    return wrapper


@click.group(cls=KhetiGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """Kheti Sahayak telecom service: USSD, SMS and voice help for farmers."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 for all).")
@click.option("--port", type=int, default=None, help="Port (default: PORT, 5000).")
@click.option("--prod", is_flag=True, help="Run under gunicorn with production settings instead of the dev server.")
@with_settings
def serve(settings: Settings, host: str, port: int | None, prod: bool):
    """Serve the gateway."""
    port = port or settings.port
    if prod:
        conf = Path(__file__).with_name("gunicorn_conf.py")
        os.environ["PORT"] = str(port)
        if not settings.redis_url:  # the in-process Redis stand-in is one per process: sessions need one process
            os.environ["WEB_CONCURRENCY"] = "1"
            click.echo("REDIS_URL is not set: serving with one gunicorn worker (sessions live in-process)", err=True)
        # Through this interpreter: gunicorn need not be on PATH (an unactivated virtualenv).
        os.execv(sys.executable, [sys.executable, "-m", "gunicorn", "--config", str(conf), "gateway.wsgi:app"])
    from gateway import create_app
    app = create_app(settings)
    if settings.tasks_in_process:
        from workers.inline_beat import start
        start(settings)  # no beat process on the embedded default: run the periodic jobs in this one
    click.echo(f"Kheti Sahayak gateway on http://{host}:{port}  (health: /healthz, readiness: /readyz)", err=True)
    app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)


@main.command(context_settings={"ignore_unknown_options": True})
@click.option("--queues", "-Q", default="sms.priority,sms.bulk,default", show_default=True)
@click.option("--concurrency", "-c", type=int, default=None, help="Processes (default: one per core).")
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@with_settings
def worker(settings: Settings, queues: str, concurrency: int | None, celery_args: tuple[str, ...]):
    """Run a Celery worker (needs CELERY_BROKER_URL)."""
    app = _celery_for(settings, "worker")
    argv = ["worker", "--queues", queues, "--loglevel", settings.log_level]
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
    app.worker_main(argv + list(celery_args))


@main.command()
@with_settings
def beat(settings: Settings):
    """Run the Celery beat scheduler for periodic jobs (exactly one per deployment)."""
    app = _celery_for(settings, "beat")
    schedule = Path(settings.var_dir) / "celerybeat-schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    app.start(["beat", "--loglevel", settings.log_level, "--schedule", str(schedule)])


def _celery_for(settings: Settings, what: str):
    if settings.tasks_in_process:
        raise SettingsError("CELERY_BROKER_URL", f"must be set to run a {what} "
                            "(without it, tasks already run inside the gateway process)")
    from gateway.backends import Backends
    from workers import runtime
    from workers.celery_app import celery
    runtime.install(settings, Backends.open(settings))
    return celery


@main.group()
def db():
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_settings
def db_upgrade(settings: Settings, revision: str):
    """Migrate the database schema up to REVISION."""
    from farmdb import migrate
    migrate.upgrade(settings.sqlalchemy_url, revision)
    click.echo(f"database at {revision}: {_display_url(settings)}", err=True)


@db.command("current")
@with_settings
def db_current(settings: Settings):
    """Show the schema revision of the database and the newest one this code knows."""
    from farmdb import migrate
    from farmdb.db import make_engine
    engine = make_engine(settings.sqlalchemy_url)
    click.echo(f"database: {migrate.current_revision(engine) or '(empty)'}  code: {migrate.head_revision()}")
    engine.dispose()


@main.command()
@click.option("--demo/--no-demo", default=True, show_default=True,
              help="Also load demo prices, forecasts and a demo farmer (not for production).")
@with_settings
def seed(settings: Settings, demo: bool):
    """Load reference data (states, districts, crops, mandis, advisories, plans); running it again changes nothing."""
    from farmdb.db import make_engine, make_sessionmaker
    from farmdb.seed import load_all
    engine = make_engine(settings.sqlalchemy_url)
    with make_sessionmaker(engine)() as session, session.begin():
        counts = load_all(session, demo_data=demo)
    engine.dispose()
    click.echo("seeded: " + ", ".join(f"{name} {n}" for name, n in counts.items()), err=True)


@main.command("config")
@with_settings
def show_config(settings: Settings):
    """Print every setting as the service sees it (secrets hidden)."""
    for name, value in settings.described():
        click.echo(f"{name:22} {value}")


@main.group()
def sms():
    """Outbound SMS by hand, for operators."""


@sms.command("send")
@click.argument("phone")
@click.argument("text")
@click.option("--locale", default="en", show_default=True, type=click.Choice(["en", "hi", "mr"]))
@click.option("--latin", is_flag=True, help="Hindi or Marathi in Latin letters (cheaper: GSM-7)")
@with_settings
def sms_send(settings: Settings, phone: str, text: str, locale: str, latin: bool):
    """Queue one service SMS to PHONE (sent by the configured SMS_PROVIDER).

    The text goes out as the operator notice ("Kheti Sahayak: TEXT"), the one free-text template registered for
    India's DLT; a message DLT would drop is refused and the reason printed."""
    import uuid

    from dialogs.texts import N_, texts
    from farmdb.phones import InvalidPhoneNumber, mask_phone, to_e164
    from gateway.backends import Backends
    from workers import runtime
    from workers.outbox import queue_sms
    try:
        e164 = to_e164(phone, settings.default_region)
    except InvalidPhoneNumber as exc:
        raise click.BadParameter(str(exc), param_hint="PHONE")
    backends = Backends.open(settings)
    runtime.install(settings, backends)
    with backends.sessions() as session, session.begin():
        body = texts(locale, latin)(N_("sms.operator_notice"), text=text)
        message = queue_sms(session, phone=e164, body=body, locale=locale, category="service_implicit",
                            purpose="operator", idempotency_key=f"operator:{uuid.uuid4().hex}")
    with backends.sessions() as session:
        from farmdb.models import OutboundMessage
        row = session.get(OutboundMessage, message.id)
    click.echo(f"outbox #{row.id} to {mask_phone(e164)}: {row.segments} segment(s) {row.encoding}, {row.status}"
               + (f" ({row.last_error})" if row.status in ("failed", "cancelled") else ""), err=True)
    if row.status in ("failed", "cancelled"):
        raise SystemExit(1)


@main.group()
def nlu():
    """The SMS language model: train it, judge it, try it."""


@nlu.command("train")
@with_settings
def nlu_train(settings: Settings):
    """Train the intent model on nlu/data/*.train.jsonl (done by `make install`; kept in VAR_DIR)."""
    import time

    from nlu.model import data_fingerprint, load_or_train
    started = time.perf_counter()
    load_or_train(Path(settings.var_dir))
    click.echo(f"intent model {data_fingerprint()} ready in {time.perf_counter() - started:.1f} s "
               f"({settings.var_dir})", err=True)


@nlu.command("eval")
@click.option("--mistakes", is_flag=True, help="Also list every message read wrongly.")
@with_settings
def nlu_eval(settings: Settings, mistakes: bool):
    """Accuracy on the held-out messages: per intent, per language and script, confusion matrix, timing."""
    from nlu.evaluate import evaluate, format_report
    report = evaluate(settings.var_dir)
    click.echo(format_report(report))
    if mistakes:
        click.echo("\nmistakes (group, text, labelled, read, confidence):")
        for row in report["mistakes"]:
            click.echo("  " + " | ".join(map(str, row)))


@nlu.command("parse")
@with_settings
def nlu_parse(settings: Settings):
    """Read messages from standard input, one a line; write one JSON object a line."""
    import json

    from nlu.parser import Parser
    parser = Parser(settings.var_dir)
    for line in sys.stdin:
        text = line.rstrip("\n")
        if text.strip():
            click.echo(json.dumps(parser.parse(text).to_json(), ensure_ascii=False))


@main.command()
@click.option("--port", type=int, default=5055, show_default=True)
@with_settings
def actions(settings: Settings, port: int):
    """Serve the Rasa action server (/webhook, /health) with the farmer actions."""
    from functools import lru_cache

    from rasa_sdk.endpoint import run

    from gateway.backends import Backends
    from gateway.conversations import Conversations
    from nlu.rasa_actions import executor
    from workers import runtime

    @lru_cache(maxsize=1)
    def conversations():
        backends = Backends.open(settings)
        runtime.install(settings, backends)
        return Conversations(settings, backends)

    run(executor(conversations), port=port)


@main.group()
def simulate():
    """A terminal phone for trying the service without a provider."""


@simulate.command("ussd")
@click.option("--phone", default="+919876543210", show_default=True, help="The caller (the demo farmer by default).")
@click.option("--code", "service_code", default="*384*123#", show_default=True, help="The USSD code dialled.")
@click.option("--network", default="40445", show_default=True, help="AT networkCode of the caller's operator.")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="Where the gateway runs.")
@click.option("--token", envvar="AT_WEBHOOK_TOKEN", default=None, help="The gateway's AT_WEBHOOK_TOKEN, if set.")
@click.option("--inputs", default=None, help="Answers to send without asking, e.g. 1,2,1 (for demos and scripts).")
def simulate_ussd(phone: str, service_code: str, network: str, url: str, token: str | None, inputs: str | None):
    """Dial USSD as Africa's Talking would: the same fields, `text` accumulating every answer joined by '*'."""
    import requests

    from gateway.africastalking.simulator import UssdPhone, http_post
    caller = UssdPhone(post=http_post(url.rstrip("/") + "/africastalking/ussd", token), phone=phone,
                       service_code=service_code, network_code=network)
    scripted = inputs.split(",") if inputs is not None else None
    try:
        _show(caller.dial(), caller)
        while not caller.ended:
            if scripted is not None:
                if not scripted:
                    break
                answer = scripted.pop(0)
                click.echo(f"> {answer}")
            else:
                answer = click.prompt(">", default="", show_default=False, prompt_suffix=" ")
                if answer.lower() in ("q", "quit", "hangup"):
                    break
            _show(caller.press(answer), caller)
    except (click.Abort, EOFError):  # Ctrl-C or the end of input: hanging up (Abort is a RuntimeError too)
        pass
    except (requests.RequestException, RuntimeError) as exc:
        click.echo(f"kheti: {exc}", err=True)
        sys.exit(1)
    click.echo("-- session ended --" if caller.ended else "-- hung up --")


def _show(screen: str, caller) -> None:
    width = max([len(line) for line in screen.splitlines()] + [20])
    click.echo("+" + "-" * (width + 2) + "+")
    for line in screen.splitlines():
        click.echo(f"| {line.ljust(width)} |")
    click.echo("+" + "-" * (width + 2) + "+" + ("  (END)" if caller.ended else ""))


@simulate.command("voice")
@click.option("--provider", type=click.Choice(["twilio", "africastalking"]), default="twilio", show_default=True,
              help="Who carries the call. Twilio by default because it hears speech (say: ...) as well as keys; "
                   "Africa's Talking hears keys only and records spoken answers.")
@click.option("--phone", default="+919876543210", show_default=True, help="The caller (the demo farmer by default).")
@click.option("--to", default=None,
              help="The number dialled [default: a made-up hotline, +912071177300 on Twilio, +254711082300 on "
                   "Africa's Talking]. Dial one of MISSED_CALL_NUMBERS to try the missed-call line.")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="Where the gateway runs.")
@click.option("--token", envvar="AT_WEBHOOK_TOKEN", default=None, help="The gateway's AT_WEBHOOK_TOKEN, if set.")
@click.option("--auth-token", envvar="TWILIO_AUTH_TOKEN", default=None,
              help="The gateway's TWILIO_AUTH_TOKEN: every Twilio request is signed with it (needed for Twilio).")
@click.option("--public-url", envvar="PUBLIC_BASE_URL", default=None,
              help="The gateway's PUBLIC_BASE_URL, if set: Twilio signs the URL it calls, so the signatures are "
                   "computed over this one while the requests still go to --url.")
@click.option("--inputs", default=None,
              help="Answers to give without asking, comma-separated: keys, say:words, record, nothing for silence, "
                   "hangup; e.g. '2,1,*,say:gehun ka bhav,,'. The call is hung up when they run out.")
@click.option("-v", "--verbose", is_flag=True, help="Also print every request posted, with its form fields.")
def simulate_voice(provider: str, phone: str, to: str | None, url: str, token: str | None, auth_token: str | None,
                   public_url: str | None, inputs: str | None, verbose: bool):
    """Call the voice hotline as Twilio or Africa's Talking would carry the call: what would be spoken is printed,
    and what you type is posted as the provider posts it (keys, say: words, record, Enter alone for silence,
    hangup), to the URLs the gateway's answers name."""
    import requests

    from gateway.voice_simulator import NotHeard, VoicePhone, http_post
    if provider == "twilio" and not auth_token:
        click.echo("kheti: Twilio signs every request: pass --auth-token or set TWILIO_AUTH_TOKEN to the gateway's "
                   "TWILIO_AUTH_TOKEN", err=True)
        sys.exit(2)
    caller = VoicePhone(post=http_post(url, public_url), provider=provider, phone=phone, to=to,
                        base_url=public_url or url, auth_token=auth_token, token=token)
    scripted = inputs.split(",") if inputs is not None else None
    carrier = "Twilio" if provider == "twilio" else "Africa's Talking"
    click.echo(f"-- calling {caller.to} from {phone} over {carrier}: type keys, say: words"
               + (" (not heard on Africa's Talking)" if provider != "twilio" else "")
               + ", record, Enter alone for silence, hangup --")
    try:
        _show_voice(caller.dial(), verbose)
        while not caller.ended:
            if scripted is not None:
                answer = scripted.pop(0) if scripted else "hangup"
                click.echo(f"> {answer}")
            else:
                answer = click.prompt(">", default="", show_default=False, prompt_suffix=" ")
                if answer.strip().lower() in ("q", "quit", "exit"):
                    answer = "hangup"
            try:
                _show_voice(caller.answer(answer), verbose)
            except NotHeard as exc:
                click.echo(f"(not sent: {exc})")
    except (click.Abort, EOFError):  # Ctrl-C or the end of input: put the phone down (Abort is a RuntimeError)
        click.echo()
        try:
            _show_voice(caller.hang_up(), verbose)
        except (requests.RequestException, RuntimeError) as exc:
            click.echo(f"kheti: {exc}", err=True)
            sys.exit(1)
    except (requests.RequestException, RuntimeError) as exc:
        click.echo(f"kheti: {exc}", err=True)
        sys.exit(1)


def _show_voice(lines, verbose: bool) -> None:
    for line in lines:
        if verbose or line.kind != "post":
            click.echo(str(line))


def _display_url(settings: Settings) -> str:
    return dict(settings.described())["DATABASE_URL"] if settings.database_url else settings.sqlalchemy_url


def _add_command_groups() -> None:
    from gateway.cli_outbound import advisory, broadcast, dlt
    from gateway.cli_voice import voice
    for group in (broadcast, advisory, dlt, voice):
        main.add_command(group)


_add_command_groups()

if __name__ == "__main__":
    main()
