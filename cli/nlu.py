"""`kheti nlu` (train, judge and try the SMS reader) and `kheti actions` (the Rasa action server)."""
from __future__ import annotations

import json
import sys
import time
from functools import lru_cache
from pathlib import Path

import click

from cli.common import open_service, with_settings
from nlu.evaluate import evaluate, format_report
from nlu.model import data_fingerprint, load_or_train
from nlu.parser import Parser
from service.conversations import Conversations
from service.settings import Settings
from service.sms_inbox import rasa_answer


@click.group("nlu")
def nlu_group():
    """The SMS language model: train it, judge it, try it."""


@nlu_group.command("train")
@with_settings
def nlu_train(settings: Settings):
    """Train the intent model on nlu/data/*.train.jsonl (done by `make install`; kept in VAR_DIR)."""
    started = time.perf_counter()
    load_or_train(Path(settings.var_dir))
    click.echo(f"intent model {data_fingerprint()} ready in {time.perf_counter() - started:.1f} s "
               f"({settings.var_dir})", err=True)


@nlu_group.command("eval")
@click.option("--mistakes", is_flag=True, help="Also list every message read wrongly.")
@with_settings
def nlu_eval(settings: Settings, mistakes: bool):
    """Accuracy on the held-out messages: per intent, per language and script, confusion matrix, timing."""
    report = evaluate(settings.var_dir)
    click.echo(format_report(report))
    if mistakes:
        click.echo("\nmistakes (group, text, labelled, read, confidence):")
        for row in report["mistakes"]:
            click.echo("  " + " | ".join(map(str, row)))


@nlu_group.command("parse")
@with_settings
def nlu_parse(settings: Settings):
    """Read messages from standard input, one a line; write one JSON object a line."""
    parser = Parser(settings.var_dir)
    for line in sys.stdin:
        text = line.rstrip("\n")
        if text.strip():
            click.echo(json.dumps(parser.parse(text).to_json(), ensure_ascii=False))


@click.command()
@click.option("--port", type=int, default=5055, show_default=True)
@with_settings
def actions(settings: Settings, port: int):
    """Serve the Rasa action server (/webhook, /health) with the farmer actions."""
    # rasa-sdk brings a web server of its own (Sanic) that no other command needs: loaded only here.
    from rasa_sdk.endpoint import run

    from nlu.rasa_actions import executor

    @lru_cache(maxsize=1)
    def answer():
        service, _ = open_service(settings)
        return rasa_answer(Conversations(service))

    run(executor(answer), port=port)


COMMANDS = (nlu_group, actions)
