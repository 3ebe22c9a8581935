"""`flask --app app inspections ...`: publish time slots, send tomorrow's reminders, list overdue fixes."""
from __future__ import annotations

import json
import sys
from datetime import date, time

import click
from flask.cli import AppGroup

from core.audit import Actor, acting_as
from core.database import db
from core.errors import AssistError
from core.unit_of_work import unit_of_work
from rebates import inspections

inspections_cli = AppGroup("inspections", help="Inspection time slots, reminders and overdue fixes.")


def _parse(kind, text: str, name: str):
    try:
        return kind.fromisoformat(text)
    except ValueError:
        click.echo(f"--{name}: {text!r} is not valid (like 2026-12-03 or 09:00)", err=True)
        sys.exit(2)


@inspections_cli.command("slots")
@click.option("--day", required=True, help="2026-12-03")
@click.option("--window", required=True, help="09:00-11:00")
@click.option("--capacity", type=click.IntRange(1, 1000), default=1, show_default=True)
@click.option("--zip", "zip_code", default=None, help="The ZIP code the slot serves")
def slots(day: str, window: str, capacity: int, zip_code: str | None) -> None:
    """Publish an open time slot customers can book."""
    acting_as(Actor(label="cli: inspections slots"))
    starts, _sep, ends = window.partition("-")
    try:
        with unit_of_work() as session:
            slot = inspections.add_slot(session, _parse(date, day, "day"), _parse(time, starts, "window"),
                                        _parse(time, ends, "window"), capacity, zip_code)
    except AssistError as exc:
        click.echo(f"{exc.message} {json.dumps(exc.fields)}", err=True)
        sys.exit(2)
    click.echo(json.dumps({"slot_id": slot.id, "day": slot.day.isoformat(), "capacity": slot.capacity}))


@inspections_cli.command("remind")
@click.option("--on", "on", default=None, help="Run as of this day (default today)")
def remind(on: str | None) -> None:
    """Remind customers whose inspection is tomorrow; idempotent, safe to run twice at once."""
    acting_as(Actor(label="cli: inspections remind"))
    with unit_of_work() as session:
        sent = inspections.send_reminders(session, _parse(date, on, "on") if on else None)
    click.echo(json.dumps({"reminders_sent": sent}))


@inspections_cli.command("overdue")
@click.option("--on", "on", default=None)
def overdue(on: str | None) -> None:
    """Failed inspections past their fix date with no passing re-inspection (the claims to deny)."""
    rows = inspections.overdue_fixes(db.session(), _parse(date, on, "on") if on else None)
    click.echo(json.dumps([{"inspection_id": i.id, "application_id": i.application_id, "reason": reason}
                           for i, reason in rows]))
