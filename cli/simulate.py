"""`kheti simulate`: a terminal phone for trying the service without a provider, posting exactly what Africa's
Talking, Twilio or Plivo would (the phones themselves are in simulator/)."""
from __future__ import annotations

import os
import sys

import click
import requests

from simulator.ussd import UssdPhone
from simulator.ussd import http_post as ussd_post
from simulator.carriers import CARRIERS
from simulator.network import http_post as voice_post
from simulator.voice import PROVIDERS, NotHeard, VoicePhone


@click.group()
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
    caller = UssdPhone(post=ussd_post(url.rstrip("/") + "/africastalking/ussd", token), phone=phone,
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
@click.option("--provider", type=click.Choice(PROVIDERS), default="twilio", show_default=True,
              help="Who carries the call. Twilio (the default) and Plivo (India) hear speech (say: ...) as well as "
                   "keys; Africa's Talking hears keys only and records spoken answers.")
@click.option("--phone", default="+919876543210", show_default=True, help="The caller (the demo farmer by default).")
@click.option("--to", default=None,
              help="The number dialled [default: a made-up hotline: "
                   + ", ".join(f"{c.hotline} on {c.title}" for c in CARRIERS.values())
                   + "]. Dial one of MISSED_CALL_NUMBERS to try the missed-call line.")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="Where the gateway runs.")
@click.option("--token", envvar="AT_WEBHOOK_TOKEN", default=None, help="The gateway's AT_WEBHOOK_TOKEN, if set.")
@click.option("--auth-token", default=None,
              help="The gateway's TWILIO_AUTH_TOKEN or PLIVO_AUTH_TOKEN, read from that variable when not given: "
                   "every Twilio or Plivo request is signed with it (needed for both).")
@click.option("--public-url", envvar="PUBLIC_BASE_URL", default=None,
              help="The gateway's PUBLIC_BASE_URL, if set: Twilio and Plivo sign the URL they call, so the "
                   "signatures are computed over this one while the requests still go to --url.")
@click.option("--inputs", default=None,
              help="Answers to give without asking, comma-separated: keys, say:words, record, nothing for silence, "
                   "hangup; e.g. '2,1,*,say:gehun ka bhav,,'. The call is hung up when they run out.")
@click.option("-v", "--verbose", is_flag=True, help="Also print every request posted, with its form fields.")
def simulate_voice(provider: str, phone: str, to: str | None, url: str, token: str | None, auth_token: str | None,
                   public_url: str | None, inputs: str | None, verbose: bool):
    """Call the voice hotline as Twilio, Africa's Talking or Plivo would carry the call: what would be spoken is
    printed, and what you type is posted as the provider posts it (keys, say: words, record, Enter alone for
    silence, hangup), to the URLs the gateway's answers name."""
    carrier = CARRIERS[provider]
    secret = carrier.signed_with
    auth_token = auth_token or (os.environ.get(secret) if secret else None)
    if secret and not auth_token:
        click.echo(f"kheti: {carrier.title} signs every request: pass --auth-token or set {secret} to the gateway's "
                   f"{secret}", err=True)
        sys.exit(2)
    caller = VoicePhone(post=voice_post(url, public_url), provider=provider, phone=phone, to=to,
                        base_url=public_url or url, auth_token=auth_token, token=token)
    scripted = inputs.split(",") if inputs is not None else None
    click.echo(f"-- calling {caller.to} from {phone} over {carrier.title}: type keys, say: words"
               + ("" if carrier.hears_speech else f" (not heard on {carrier.title})")
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


COMMANDS = (simulate,)
