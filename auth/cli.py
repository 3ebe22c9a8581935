"""`flask users create --email E --role ROLE`: staff and support accounts from the shell."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from auth import service
from core import audit
from core.access import ROLES
from core.audit import Actor
from core.database import db
from core.errors import AssistError
from core.unit_of_work import unit_of_work

users_cli = AppGroup("users", help="Manage people who sign in.")


def _read_password() -> str:
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_cli.command("create")
@click.option("--email", required=True, help="Sign-in email address.")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the person may do.")
@click.option("--name", "full_name", default=None, help="Full name.")
def create(email: str, role: str, full_name: str | None) -> None:
    """Create a user; the password comes from the first line of stdin, or a prompt on a terminal."""
    audit.acting_as(Actor(label="cli: users create"))
    password = _read_password()
    try:
        with unit_of_work():
            user = service.create_user(db.session, email=email, password=password, role=role, confirmed=True,
                                       full_name=full_name)
    except AssistError as exc:
        details = "; ".join(m for msgs in exc.fields.values() for m in msgs)
        raise click.ClickException(f"{exc.message} {details}".strip()) from exc
    click.echo(f"created {user.role} {user.email}")


@users_cli.command("deactivate")
@click.option("--email", required=True)
@click.option("--reason", default="deactivated from the command line")
def deactivate(email: str, reason: str) -> None:
    """Deactivate a user and end every session and token they have."""
    from sqlalchemy import select

    from auth.models import User

    audit.acting_as(Actor(label="cli: users deactivate"))
    with unit_of_work():
        user = db.session.scalar(select(User).where(User.email == service.normalize_email(email)))
        if user is None:
            raise click.ClickException(f"no user {email}")
        service.set_active(db.session, user, False, reason)
    click.echo(f"deactivated {user.email}")
