"""Platform commands: `flask db ...`, `flask worker`, `flask outbox send`."""
from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from core import jobs, outbox
from core.audit import Actor, acting_as
from core.database import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(app: Flask | None = None, connection=None) -> Config:
    app = app or current_app
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", app.config["DATABASE_URL"].replace("%", "%%"))
    cfg.attributes["app"] = app
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


db_cli = AppGroup("db", help="Database migrations (Alembic).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Upgrade the database to a revision (default: the newest), loading shipped reference data."""
    command.upgrade(alembic_config(), revision)
    # Then the deployment's settings that live as data (ASSIST_PROGRAMS): each area registers its own.
    for step in current_app.extensions.get("assist.after_upgrade", ()):
        step()


def after_upgrade(app: Flask, step) -> None:
    """Run `step` (in the app context, committing its own work) after every `db upgrade`."""
    app.extensions.setdefault("assist.after_upgrade", []).append(step)


@db_cli.command("downgrade")
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Step the database back to an older revision."""
    command.downgrade(alembic_config(), revision)


@db_cli.command("current")
def current() -> None:
    """Show the revision the database is at."""
    command.current(alembic_config(), verbose=False)


@db_cli.command("history")
def history() -> None:
    command.history(alembic_config())


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate/--empty", default=True)
def revision(message: str, autogenerate: bool) -> None:
    """Write a new migration (for developers), compared against the models by default."""
    command.revision(alembic_config(), message=message, autogenerate=autogenerate)


@db_cli.command("check")
def check() -> None:
    """Fail when the models have changes that no migration covers."""
    command.check(alembic_config())


@click.command("worker")
@click.option("--queue", "queues", multiple=True, help="Queues to serve (default: every queue Assist uses).")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@with_appcontext
def worker(queues: tuple[str, ...], burst: bool) -> None:
    """Run an RQ worker for background jobs (needs REDIS_URL)."""
    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: without Redis, jobs run inside the web process.")
    jobs.start_worker(app, list(queues) or list(jobs.QUEUES), burst=burst)


outbox_cli = AppGroup("outbox", help="Outgoing mail.")


@outbox_cli.command("send")
@click.option("--limit", default=500, show_default=True)
def outbox_send(limit: int) -> None:
    """Send queued messages by SMTP (needs MAIL_SERVER); run it from cron as a safety net."""
    if not current_app.config.get("MAIL_SERVER"):
        raise click.ClickException("MAIL_SERVER is not set: messages stay on the staff outbox page.")
    acting_as(Actor(label="cli: outbox send"))
    counts = outbox.send_queued(db.session, limit=limit)
    click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))


def register_cli(app: Flask) -> None:
    for cmd in (db_cli, worker, outbox_cli):
        app.cli.add_command(cmd)
