"""`kheti sms send`, `kheti broadcast`, `kheti advisory` and `kheti dlt`: what operators and agronomists push to
farmers."""
from __future__ import annotations

import json
import uuid

import click
from sqlalchemy import select

from cli.common import open_service, with_settings
from dialogs.texts import N_, texts
from farmdb.models import Advisory, Crop, DltTemplate, OutboundMessage
from farmdb.phones import InvalidPhoneNumber, mask_phone, to_e164
from locales.dlt import catalogue_templates
from locales.languages import CODES, LANGUAGES
from service import broadcasts
from service.broadcasts import Audience, BroadcastError
from service.content import ADVISORY_LANGUAGES, ContentError, add_advisory
from service.content_admin import record_template
from service.outbox import queue_sms
from service.settings import Settings
from service.value_types import SMS_CATEGORIES


# --- one SMS ------------------------------------------------------------------------------------------------------

@click.group()
def sms():
    """Outbound SMS by hand, for operators."""


@sms.command("send")
@click.argument("phone")
@click.argument("text")
@click.option("--locale", default="en", show_default=True, type=click.Choice(CODES))
@click.option("--latin", is_flag=True, help="Hindi or Marathi in Latin letters (cheaper: GSM-7)")
@with_settings
def sms_send(settings: Settings, phone: str, text: str, locale: str, latin: bool):
    """Queue one service SMS to PHONE (sent by the configured SMS_PROVIDER).

    The text goes out as the operator notice ("Kheti Sahayak: TEXT"), the one free-text template registered for
    India's DLT; a message DLT would drop is refused and the reason printed."""
    try:
        e164 = to_e164(phone, settings.default_region)
    except InvalidPhoneNumber as exc:
        raise click.BadParameter(str(exc), param_hint="PHONE")
    service, _ = open_service(settings)
    with service.backends.sessions() as session, session.begin():
        body = texts(locale, latin)(N_("sms.operator_notice"), text=text)
        message = queue_sms(service, session, phone=e164, body=body, locale=locale, category="service_implicit",
                            purpose="operator", idempotency_key=f"operator:{uuid.uuid4().hex}")
    with service.backends.sessions() as session:
        row = session.get(OutboundMessage, message.id)
    click.echo(f"outbox #{row.id} to {mask_phone(e164)}: {row.segments} segment(s) {row.encoding}, {row.status}"
               + (f" ({row.last_error})" if row.status in ("failed", "cancelled") else ""), err=True)
    if row.status in ("failed", "cancelled"):
        raise SystemExit(1)


# --- broadcasts ---------------------------------------------------------------------------------------------------

@click.group()
def broadcast():
    """Send an advisory to many farmers; follow its progress."""


@broadcast.command("create")
@click.option("--advisory", "advisory_id", type=int, required=True, help="Advisory id (see `kheti advisory list`).")
@click.option("--crop", help="Only farmers growing this crop (default: the advisory's crop).")
@click.option("--district", help="Only farmers in this district (English name).")
@click.option("--state", help="Only farmers in this state (also picks between districts of the same name).")
@click.option("--locale", type=click.Choice(CODES), help="Only farmers who chose this language.")
@click.option("--category", type=click.Choice(["service_explicit", "promotional"]), default="service_explicit",
              show_default=True, help="DLT category: decides the hours it may be delivered in.")
@click.option("--preview", is_flag=True, help="Show recipients, segments and cost; send nothing.")
@click.option("--yes", "-y", is_flag=True, help="Send without asking for confirmation.")
@with_settings
def broadcast_create(settings, advisory_id, crop, district, state, locale, category, preview, yes):
    """Preview, confirm, then queue an advisory broadcast. Running it again adds nobody twice."""
    service, _ = open_service(settings)
    backends = service.backends
    audience = Audience(crop, district, state, locale)
    try:
        with backends.sessions() as db:
            _, plan, _ = broadcasts.advisory_broadcast(service, db, advisory_id, audience, category=category,
                                                       dry_run=True)
        _print_preview(plan)
        if plan.problems:
            raise click.ClickException("not sent: " + "; ".join(plan.problems))
        if preview:
            return
        if plan.recipients == 0:
            raise click.ClickException("nobody to send to: no consenting farmer in this audience")
        if not yes:
            click.confirm(f"Send to {plan.recipients} farmer(s) for about {plan.estimated_cost} {plan.currency}?",
                          abort=True)
        with backends.sessions() as db, db.begin():
            made, _, new = broadcasts.advisory_broadcast(service, db, advisory_id, audience, category=category,
                                                         created_by="cli")
            broadcast_id = made.id
    except BroadcastError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"broadcast #{broadcast_id} {'created' if new else 'already existed; nobody added twice'}; "
               f"follow it with: kheti broadcast status {broadcast_id}", err=True)


def _print_preview(plan) -> None:
    click.echo(f"{plan.recipients} farmer(s), {plan.segments} SMS segment(s), about {plan.estimated_cost} "
               f"{plan.currency}")
    for p in plan.languages:
        template = p.template_id or "-"
        click.echo(f"  {p.locale}: {p.recipients} farmer(s) ({p.indian_recipients} in India), {p.segments} segment(s)"
                   f" {p.encoding} each, DLT template {template}")
        if p.body:
            click.echo(f"      {p.body}")


@broadcast.command("status")
@click.argument("broadcast_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON (as the API gives it).")
@with_settings
def broadcast_status(settings, broadcast_id: int, as_json: bool):
    """Progress and totals of a broadcast."""
    service, _ = open_service(settings)
    with service.backends.sessions() as db:
        found = broadcasts.status(db, broadcast_id)
    if found is None:
        raise click.ClickException(f"no broadcast {broadcast_id}")
    if as_json:
        click.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    counts = found["counts"]
    click.echo(f"broadcast #{found['id']} ({found['kind']}, {found['category']}) to {found['recipients']} farmer(s), "
               f"{found['status']}{', finished' if found['finished'] else ''}")
    click.echo("  " + ", ".join(f"{name} {count}" for name, count in counts.items()))
    if found["waiting_for_window"]:
        click.echo(f"  {found['waiting_for_window']} waiting for their delivery window")
    spent = f"{found['cost']} {found['cost_currency']}" if found["cost"] else "not reported yet"
    click.echo(f"  estimated {found['estimated_cost']} {found['currency']} for {found['segments']} segment(s); "
               f"providers' cost {spent}")


# --- advisories ---------------------------------------------------------------------------------------------------

@click.group()
def advisory():
    """The advisories agronomists write, in every language."""


@advisory.command("list")
@click.option("--crop", help="Only this crop (code, e.g. cotton).")
@with_settings
def advisory_list(settings, crop: str | None):
    service, _ = open_service(settings)
    with service.backends.sessions() as db:
        query = select(Advisory).join(Crop).order_by(Crop.code, Advisory.id)
        if crop:
            query = query.where(Crop.code == crop.lower())
        for row in db.scalars(query):
            click.echo(f"{row.id:5}  {row.crop.code:12} {row.stage:12} {row.texts['en'][:70]}")


def _in_every_language(command):
    """--en TEXT, --hi TEXT, ...: one required option per language farmers are served in."""
    for language in reversed(LANGUAGES):
        script = "" if language.script == "Latn" else " (in its own script)"
        if language.romanised:  # USSD screens show a stage's advice in Latin letters; an alert may do without
            command = click.option(f"--{language.romanised.replace('_', '-').lower()}", f"text_{language.romanised}",
                                   help=f"{language.english_name} in Latin letters (ASCII).")(command)
        command = click.option(f"--{language.code}", f"text_{language.code}", required=True,
                               help=f"{language.english_name} text{script}.")(command)
    return command


@advisory.command("add")
@click.option("--crop", required=True, help="Crop code, e.g. cotton.")
@click.option("--key", required=True, help="A unique name, e.g. cotton-pink-bollworm-2026-08.")
@click.option("--stage", default="alert", show_default=True, help="Growth stage it is for, or 'alert'.")
@_in_every_language
@with_settings
def advisory_add(settings, crop, key, stage, **in_language):
    """Write a new advisory (a pest alert, say) to broadcast; prints its id. Checked as the console checks one
    (service.content): every language, at most 300 characters each, Latin-letter texts in ASCII."""
    service, _ = open_service(settings)
    texts_by_code = {code: in_language.get(f"text_{code}") or "" for code in ADVISORY_LANGUAGES}
    try:
        with service.backends.sessions() as db, db.begin():
            row = add_advisory(db, crop_code=crop, stage=stage, texts=texts_by_code, key=key)
            click.echo(row.id)
    except ContentError as exc:
        raise click.ClickException(str(exc))


# --- DLT ----------------------------------------------------------------------------------------------------------

@click.group()
def dlt():
    """India's DLT content templates: what to register, and the ids you got."""


@dlt.command("templates")
def dlt_templates():
    """Our SMS texts as DLT template text ({#var#}), one per line: category, message id, text. Register these."""
    seen = set()
    for catalogue, message_id, category, text in catalogue_templates():
        if (category, text) not in seen:
            seen.add((category, text))
            click.echo(f"{category}\t{message_id} ({catalogue})\t{text}")


@dlt.command("add")
@click.option("--template-id", required=True)
@click.option("--entity-id", required=True, help="Your principal entity id.")
@click.option("--header", required=True, help="The registered header (sender id) the template is linked to.")
@click.option("--category", type=click.Choice(SMS_CATEGORIES), required=True)
@click.option("--name", required=True, help="What the template is for.")
@click.option("--text", required=True, help="The template text exactly as registered, with {#var#}.")
@with_settings
def dlt_add(settings, template_id, entity_id, header, category, name, text):
    """Record a template registered on the DLT portal (replaces a row with the same template id)."""
    service, _ = open_service(settings)
    try:
        with service.backends.sessions() as db, db.begin():
            record_template(db, template_id=template_id, entity_id=entity_id, header=header, category=category,
                            name=name, text=text)
    except ContentError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"template {template_id} recorded", err=True)


@dlt.command("list")
@with_settings
def dlt_list(settings):
    """The templates messages are checked against."""
    service, _ = open_service(settings)
    with service.backends.sessions() as db:
        for row in db.scalars(select(DltTemplate).order_by(DltTemplate.source, DltTemplate.id)):
            state = "active" if row.active else "inactive"
            click.echo(f"{row.template_id}\t{row.source}\t{state}\t{row.header}\t{row.category}\t{row.text}")


COMMANDS = (sms, broadcast, advisory, dlt)
