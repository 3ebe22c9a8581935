"""`flask reports ...`: the participation workbook written in this process, and the eligible-population estimates."""
from __future__ import annotations

import json
from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from core.audit import Actor, acting_as
from core.database import db
from core.unit_of_work import unit_of_work
from core.errors import AssistError
from reports import service

reports_cli = AppGroup("reports", help="Participation reports for regulators and boards.")


def _day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date like 2026-06-30", param_hint=option) from None


@reports_cli.command("participation")
@click.option("--from", "start", required=True, help="First business day, YYYY-MM-DD (inclusive).")
@click.option("--to", "end", required=True, help="Last business day, YYYY-MM-DD (inclusive).")
@click.option("--program", "codes", multiple=True, help="A program code; repeat for more (default: every program).")
@click.option("--identified", is_flag=True, help="Account numbers and application numbers instead of opaque ids.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The .xlsx file to write.")
def participation(start: str, end: str, codes: tuple[str, ...], identified: bool, out: str) -> None:
    """Build the participation workbook here and write it, unencrypted, to --out."""
    from reports import workbook

    acting_as(Actor(label="cli: reports participation"))
    session = db.session()
    try:
        request = service.ReportRequest.parse(session, _day("--from", start), _day("--to", end), list(codes) or None,
                                              identified=identified, user=None)
    except AssistError as exc:
        details = "; ".join(f"--{name}: {' '.join(msgs)}" for name, msgs in (exc.fields or {}).items())
        raise click.ClickException(f"{exc.message} {details}".strip()) from None
    result = workbook.build(session, out, period=request.period, programs=request.programs,
                            secret=current_app.config["SECRET_KEY"], identified=request.identified)
    service.record_export(session, "participation", request.parameters() | {"out": out}, rows=result.rows)
    session.commit()
    click.echo(json.dumps({"out": out, "sheets": result.sheets, "rows": result.rows,
                           "applications": result.applications}))


estimates_cli = AppGroup("eligible-estimates", help="Estimated eligible households per program, ZIP code and year.")
reports_cli.add_command(estimates_cli)


@estimates_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def load_estimates(path: str) -> None:
    """Load estimates from a JSON file; a program, ZIP and year already loaded is replaced."""
    acting_as(Actor(label="cli: reports eligible-estimates load"))
    try:
        with unit_of_work() as session:
            report = service.load_estimates(session, service.read_estimates(path))
    except service.EstimatesError as exc:
        for problem in exc.problems:
            click.echo(f"{path}: {problem}", err=True)
        raise click.ClickException(f"{len(exc.problems)} problem(s); nothing from the file was loaded") from None
    click.echo(json.dumps(report))


@reports_cli.command("purge")
def purge() -> None:
    """Remove the files of report jobs past REPORT_RETENTION_HOURS (the workers do it hourly; this is for cron)."""
    acting_as(Actor(label="cli: reports purge"))
    with unit_of_work() as session:
        removed = service.purge_expired(session)
    click.echo(json.dumps({"removed": removed}))
