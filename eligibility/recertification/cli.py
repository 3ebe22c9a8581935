"""`recert run` (the daily job) and `enrollments auto FILE` (a partner agency's list)."""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from core import clock
from core.audit import Actor, acting_as
from core.database import db
from core.unit_of_work import unit_of_work
from eligibility.recertification import daily, service

recert_cli = AppGroup("recert", help="Recertification: reminders, grace, expiry and verification.")
enrollments_cli = AppGroup("enrollments", help="Enrollments in assistance programs.")


def _progress_on_terminal():
    if not sys.stderr.isatty():
        return None

    def show(phase: str, done: int, total: int) -> None:
        click.echo(f"\r{phase}: {done:,} of {total:,}", err=True, nl=done >= total)
    return show


@recert_cli.command("run")
@click.option("--on", "on", help="The day to run for (YYYY-MM-DD); default today in the utility's time zone.")
@click.option("--json", "as_json", is_flag=True, help="Print one line of JSON with the counts.")
@click.option("--seed", help="Seed for a verification draw made by this run (default: a random one, recorded).")
def run(on: str | None, as_json: bool, seed: str | None) -> None:
    """Send the reminders that are due, start grace, expire, draw and close verifications (safe to re-run)."""
    acting_as(Actor(label="cli: recert run"))
    try:
        day = date.fromisoformat(on) if on else clock.today()
    except ValueError:
        raise click.BadParameter("give the day as YYYY-MM-DD", param_hint="--on") from None
    report = daily.run(db.session(), day, seed=seed, progress=_progress_on_terminal())
    if as_json:
        click.echo(json.dumps(report.as_dict()))
    else:
        click.echo(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in report.as_dict().items() if k != "errors"))
        for error in report.errors:
            click.echo(f"error: {error}", err=True)
    if report.errors:
        sys.exit(1)


@enrollments_cli.command("auto")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--agency", help="The agency's name, as the letters give it (e.g. 'Alameda County Social Services').")
def auto(path: str, agency: str | None) -> None:
    """Enroll the accounts in a partner agency's file (CSV or XLSX), with a letter and an opt-out link."""
    acting_as(Actor(label="cli: enrollments auto"))
    try:
        with unit_of_work() as session:
            report = service.enroll_from_file(session, Path(path), agency=agency)
    except service.AutoFileError as exc:
        for error in exc.errors[:50]:
            click.echo(f"{path}: {error}", err=True)
        click.echo(f"{path}: nothing was enrolled ({len(exc.errors)} problems)", err=True)
        sys.exit(1)
    click.echo(json.dumps(report.as_dict()))
