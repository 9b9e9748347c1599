"""`kheti operator`: the people who run the service, from the command line. How the first admin is made (then the
console's Operators page does the rest); every change is in the audit log, by "cli:<user>"."""
from __future__ import annotations

import click
from sqlalchemy import select

from cli.common import actor, open_service, with_settings
from farmdb.models import Operator
from farmdb.models.operators import ROLES
from farmdb.phones import InvalidPhoneNumber, to_e164
from service import audit
from service.operators import OperatorError, add_operator, new_api_key, reset_password, set_disabled
from service.settings import Settings


@click.group()
def operator():
    """Console operators: add, list, disable, reset a password, make an API key."""


@operator.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES), help="viewer, agronomist or admin")
@click.option("--name", "display_name", help="the name colleagues know them by")
@click.option("--phone", help="where a bridged call to a farmer rings first")
@with_settings
def add(settings: Settings, username: str, role: str, display_name: str | None, phone: str | None):
    """Add an operator and print their one-time password (they choose their own at first sign-in)."""
    if phone:
        try:
            phone = to_e164(phone, settings.default_region)
        except InvalidPhoneNumber as exc:
            raise click.BadParameter(str(exc), param_hint="--phone")
    service, _ = open_service(settings)
    with service.backends.sessions() as db, db.begin():
        try:
            row, password = add_operator(db, username, role, display_name=display_name, phone=phone)
        except OperatorError as exc:
            raise click.ClickException(str(exc))
        audit.record(db, None, "operator_added", target_type="operator", target_id=row.id, actor=actor(),
                     username=row.username, role=row.role)
        username = row.username
    click.echo(f"{username} ({role}) added. One-time password, shown this once:", err=True)
    click.echo(password)


@operator.command("api-key")
@click.argument("username")
@click.option("--name", default="key", show_default=True, help="what the key is for")
@with_settings
def api_key(settings: Settings, username: str, name: str):
    """Make an API key acting as USERNAME (with their role) and print it once: only its hash is kept."""
    service, _ = open_service(settings)
    with service.backends.sessions() as db, db.begin():
        row = _find(db, username)
        if row.disabled:
            raise click.ClickException(f"{row.username} is disabled")
        key_row, key = new_api_key(db, row, name)
        audit.record(db, None, "api_key_created", target_type="api_key", target_id=key_row.prefix, actor=actor(),
                     owner=row.username, name=key_row.name)
    click.echo(f"API key for {username} ({name}), shown this once. Send it as 'Authorization: Bearer <key>':",
               err=True)
    click.echo(key)


@operator.command("list")
@with_settings
def list_operators(settings: Settings):
    """Every operator: username, role, state, last sign-in."""
    service, _ = open_service(settings)
    with service.backends.sessions() as db:
        for row in db.scalars(select(Operator).order_by(Operator.username)):
            state = "disabled" if row.disabled else "must change password" if row.must_change_password else "active"
            seen = row.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if row.last_login_at else "never"
            click.echo(f"{row.username:<24} {row.role:<11} {state:<21} last sign-in {seen}")


@operator.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="enable them again instead")
@with_settings
def disable(settings: Settings, username: str, enable: bool):
    """Disable an operator: their sessions and API keys stop at once."""
    service, _ = open_service(settings)
    with service.backends.sessions() as db, db.begin():
        row = _find(db, username)
        set_disabled(row, not enable)
        audit.record(db, None, "operator_enabled" if enable else "operator_disabled", target_type="operator",
                     target_id=row.id, actor=actor(), username=row.username)
    click.echo(f"{username} {'enabled' if enable else 'disabled'}", err=True)


@operator.command("reset-password")
@click.argument("username")
@with_settings
def reset(settings: Settings, username: str):
    """A new one-time password for USERNAME (their sessions end); printed once."""
    service, _ = open_service(settings)
    with service.backends.sessions() as db, db.begin():
        row = _find(db, username)
        password = reset_password(db, row)
        audit.record(db, None, "operator_password_reset", target_type="operator", target_id=row.id,
                     actor=actor(), username=row.username)
    click.echo(f"New one-time password for {username}, shown this once:", err=True)
    click.echo(password)


def _find(db, username: str) -> Operator:
    row = db.scalar(select(Operator).where(Operator.username == username.strip().lower()))
    if row is None:
        raise click.ClickException(f"no operator called {username!r} (kheti operator list)")
    return row


COMMANDS = (operator,)
