"""`kheti prices fetch` and `kheti prices import FILE`: Agmarknet's mandi prices into the database, by hand (the
daily job does the fetch by itself when PRICE_PROVIDER=agmarknet); `kheti prices check-alerts`: the price alerts
checked now (every import does it). Each ends with its report: read, stored,
updated, skipped by reason, new mandis. Exit status 1 when the prices could not be had at all."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from cli.common import open_service, with_settings
from service.prices import alerts
from service.prices.agmarknet import AgmarknetError
from service.prices.records import FileProblem
from service.prices.report import Report
from service.prices.runs import ImportBusy, fetch, import_text
from service.settings import Settings, SettingsError


@click.group()
def prices():
    """Mandi prices from Agmarknet."""


def _day(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    for form in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, form).date()
        except ValueError:
            continue
    raise click.BadParameter(f"{value!r} is not a date (2026-12-04 or 04/12/2026)")


@prices.command("fetch")
@click.option("--state", "states", multiple=True, metavar="S",
              help="only this state, as Agmarknet spells it (repeatable); default: AGMARKNET_STATES, else all")
@click.option("--date", "day", callback=_day, metavar="D", help="only prices of this day (2026-12-04)")
@with_settings
def fetch_prices(settings: Settings, states: tuple[str, ...], day: date | None):
    """Fetch the day's prices from data.gov.in (needs AGMARKNET_API_KEY), every page, and store them."""
    if not settings.agmarknet_api_key:
        raise SettingsError("AGMARKNET_API_KEY", "must be set to fetch prices (a key from data.gov.in)")
    service, _ = open_service(settings)
    try:
        report = fetch(service, states=list(states) or sorted(settings.agmarknet_states), day=day)
    except (AgmarknetError, ImportBusy) as exc:
        raise click.ClickException(str(exc))
    _show(report)


@prices.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--state", help="the state, for a CSV without a state column")
@click.option("--dry-run", is_flag=True, help="read, map and judge every price and report; store nothing")
@with_settings
def import_prices(settings: Settings, path: Path, state: str | None, dry_run: bool):
    """Import PATH: a saved data.gov.in answer (JSON) or a price report exported from the Agmarknet portal (CSV)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = path.read_text(encoding="cp1252")  # the portal's exports opened and saved by a spreadsheet
        except UnicodeDecodeError:
            raise click.ClickException("the file is neither UTF-8 nor Windows text: save it as 'CSV UTF-8'")
    service, _ = open_service(settings)
    try:
        report = import_text(service, text, name=path.name, state=state, dry_run=dry_run)
    except (FileProblem, ImportBusy) as exc:
        raise click.ClickException(f"{path.name}: {exc}")
    _show(report)


@prices.command("check-alerts")
@with_settings
def check_alerts(settings: Settings):
    """Check every active price alert against the newest prices now and send what has crossed (each import does)."""
    service, _ = open_service(settings)
    checked = alerts.check(service, alerts.local_today(service))
    click.echo(f"{checked.alerts} alerts checked: {checked.sent} SMS queued, {checked.armed} armed again"
               + "".join(f", {n} not sent ({why})" for why, n in checked.skipped.items()))


def _show(report: Report) -> None:
    for line in report.lines():
        click.echo(line)


COMMANDS = (prices,)
