"""What every `kheti` command shares: settings read (and logging set up) once, a configuration problem reported in
one line, and the Service booted with its task app."""
from __future__ import annotations

import functools
import getpass
import sys

import click

from farmdb.migrate import current_revision, head_revision
from service.context import Service
from service.logs import configure_for
from service.settings import Settings, SettingsError
from workers.app import WorkerApp, boot


class KhetiGroup(click.Group):
    """A configuration problem found anywhere in a command stops it with one line naming the variable."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            click.echo(f"kheti: configuration error: {exc}", err=True)
            sys.exit(2)


def load_settings() -> Settings:
    settings = Settings.from_env()
    configure_for(settings)
    return settings


def with_settings(command):
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        return command(load_settings(), *args, **kwargs)
    return wrapper


def open_service(settings: Settings | None = None, *, schema_required: bool = True) -> tuple[Service, WorkerApp]:
    """The Service and its task app: what a command queues runs in-process, or goes to the workers' broker. A
    database without the schema (a command run from another folder finds an empty var/ there) is said in one line,
    not a traceback from the first query. The servers start anyway (`schema_required=False`): a gateway may come up
    before the migration job ends, and /readyz says so until it has."""
    settings = settings or load_settings()
    service, app = boot(settings)
    found = current_revision(service.backends.engine) if schema_required else head_revision()
    if found != head_revision():
        variable = "DATABASE_URL" if settings.database_url else "VAR_DIR"
        raise SettingsError(variable, f"the database at {display_url(settings)} is at schema {found or 'none'}, "
                            f"not {head_revision()}: run `kheti db upgrade` (and `kheti seed`), or run from the "
                            "folder the service runs in")
    return service, app


def display_url(settings: Settings) -> str:
    return dict(settings.described())["DATABASE_URL"] if settings.database_url else settings.sqlalchemy_url


def actor() -> str:
    """Who the audit log says did it: the command line, and the system user running it."""
    try:
        return f"cli:{getpass.getuser()}"[:40]
    except (KeyError, OSError):  # a container's user may have no name
        return "cli"
