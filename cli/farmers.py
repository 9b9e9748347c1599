"""`kheti farmers import FILE`: farmers from a CSV, with their consent evidence (service.farmer_import says which
columns). Every bad row is reported by line and reason; nothing is imported while there are any, unless
--skip-bad says to bring in the good ones and leave those."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.common import actor, open_service, with_settings
from service import audit
from service.farmer_import import FileProblem, bring_in, check
from service.settings import Settings


@click.group()
def farmers():
    """Farmers in bulk."""


@farmers.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="check every row and report; import nothing")
@click.option("--skip-bad", is_flag=True, help="import the good rows even when some are bad (reported)")
@with_settings
def import_farmers(settings: Settings, path: Path, dry_run: bool, skip_bad: bool):
    """Import farmers from PATH: CSV in UTF-8 with a header row naming phone, district, consent_at,
    consent_channel and consent_notice (required), and name, language, state, crops."""
    service, _ = open_service(settings)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException("the file is not UTF-8: save it from the spreadsheet as 'CSV UTF-8'")
    with service.backends.sessions() as db:
        try:
            report = check(db, settings, text)
        except FileProblem as problem:
            raise click.ClickException(str(problem))
    for line, reason in report.bad:
        click.echo(f"line {line}: {reason}", err=True)
    click.echo(f"{len(report.good)} good row(s), {len(report.bad)} bad", err=True)
    if dry_run:
        raise SystemExit(1 if report.bad else 0)
    if report.bad and not skip_bad:
        raise click.ClickException("nothing imported: fix the bad rows, or import the good ones with --skip-bad")
    with click.progressbar(length=len(report.good), label="importing", file=sys.stderr) as bar:
        done = [0]

        def progress(count: int) -> None:
            bar.update(count - done[0])
            done[0] = count
        bring_in(service.backends.sessions, report, progress)
    with service.backends.sessions() as db, db.begin():
        audit.record(db, None, "farmers_imported", target_type="farmers", actor=actor(), file=path.name,
                     added=report.added, merged=report.merged, skipped=len(report.bad))
    click.echo(f"added {report.added}, merged {report.merged} with farmers already known, "
               f"skipped {len(report.bad)}", err=True)


COMMANDS = (farmers,)
