"""`kheti db`, `kheti seed` and `kheti config`: the schema, the reference data, and the settings as the service
sees them."""
from __future__ import annotations

import click

from cli.common import display_url, with_settings
from farmdb import migrate
from farmdb.db import make_engine, make_sessionmaker
from farmdb.seed import load_all
from service.settings import Settings


@click.group()
def db():
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_settings
def db_upgrade(settings: Settings, revision: str):
    """Migrate the database schema up to REVISION."""
    migrate.upgrade(settings.sqlalchemy_url, revision)
    click.echo(f"database at {revision}: {display_url(settings)}", err=True)


@db.command("current")
@with_settings
def db_current(settings: Settings):
    """Show the schema revision of the database and the newest one this code knows."""
    engine = make_engine(settings.sqlalchemy_url)
    click.echo(f"database: {migrate.current_revision(engine) or '(empty)'}  code: {migrate.head_revision()}")
    engine.dispose()


@click.command()
@click.option("--demo/--no-demo", default=False, show_default=True,
              help="Also load made-up prices, forecasts and a demo farmer: only for trying the service (`make run`); "
                   "a farmer must never hear a demo price as a real one.")
@with_settings
def seed(settings: Settings, demo: bool):
    """Load reference data (states, districts, crops, mandis, advisories, plans); running it again changes nothing."""
    engine = make_engine(settings.sqlalchemy_url)
    with make_sessionmaker(engine)() as session, session.begin():
        counts = load_all(session, demo_data=demo)
    engine.dispose()
    click.echo("seeded: " + ", ".join(f"{name} {n}" for name, n in counts.items()), err=True)


@click.command("config")
@with_settings
def show_config(settings: Settings):
    """Print every setting as the service sees it (secrets hidden), then which provider each number goes by."""
    for name, value in settings.described():
        click.echo(f"{name:22} {value}")
    routes = [f"{prefix} by {provider}" for prefix, provider in settings.provider_routes.rules]
    click.echo(f"\nSMS and the expert desk's calls go: "
               f"{', '.join(routes + [f'any other number by {settings.sms_provider}'])}; "
               "a call-back goes by the provider whose number the farmer rang")


COMMANDS = (db, seed, show_config)
