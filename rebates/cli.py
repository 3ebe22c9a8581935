"""Commands for rebate programs: load definitions, list and switch programs, quote, product lists."""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup
from marshmallow import ValidationError

from accounts.imports import ImportFailed
from core import clock
from core.audit import Actor, acting_as
from core.database import db
from core.errors import AssistError
from core.unit_of_work import unit_of_work
from rebates import definitions, products, service
from rebates.definitions import DefinitionError
from rebates.schemas import QuoteRequest, first_problem

rebates_cli = AppGroup("rebates", help="Rebate programs as dated rules, quotes and qualified product lists.")
products_cli = AppGroup("products", help="Qualified product lists (WaterSense, ENERGY STAR, MaP Premium...).")
rebates_cli.add_command(products_cli)


def _fail(message: str) -> None:
    """One line on stderr and exit status 2, as scripts expect of a bad argument."""
    click.echo(message, err=True)
    sys.exit(2)


@rebates_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def load(path: str) -> None:
    """Add or update rebate programs from a definitions file; a changed version comes in as a new one."""
    acting_as(Actor(label="cli: rebates load"))
    try:
        with unit_of_work() as session:
            report = service.load_definitions(session, definitions.read_file(path))
    except DefinitionError as exc:
        for problem in exc.problems:
            click.echo(f"{path}: {problem}", err=True)
        raise click.ClickException(f"{len(exc.problems)} problem(s); nothing from the file was loaded") from None
    click.echo(json.dumps(report.as_dict()))


@rebates_cli.command("list")
@click.option("--on", "on_text", help="The day to show the version in effect (YYYY-MM-DD, default today).")
def list_programs(on_text: str | None) -> None:
    """One line of JSON per rebate program: switched on or off, and the version in effect."""
    try:
        on = date.fromisoformat(on_text) if on_text else clock.today()
    except ValueError:
        _fail(f"--on: {on_text!r} is not a date like 2026-06-01")
    for program in service.list_programs(db.session()):
        built = service.build_program(program)
        version = next((v for v in built.versions if v.covers(on)), None)
        click.echo(json.dumps({"program": program.code, "name": program.name("en"), "enabled": program.enabled,
                               "example": program.example, "versions": len(program.versions),
                               "rule_version": version.id if version else None,
                               "effective_from": version.effective_from.isoformat() if version else None}))


def _switch(code: str, enabled: bool, reason: str) -> None:
    acting_as(Actor(label=f"cli: rebates {'enable' if enabled else 'disable'}"))
    try:
        with unit_of_work() as session:
            program = service.get_program(session, code)
            service.set_enabled(session, program, enabled, reason)
    except AssistError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(json.dumps({"program": program.code, "enabled": program.enabled}))


@rebates_cli.command("enable")
@click.argument("code")
@click.option("--reason", default="switched on from the command line", show_default=True)
def enable(code: str, reason: str) -> None:
    """Switch a rebate program on: quotable and open to applications."""
    _switch(code, True, reason)


@rebates_cli.command("disable")
@click.argument("code")
@click.option("--reason", default="switched off from the command line", show_default=True)
def disable(code: str, reason: str) -> None:
    """Switch a rebate program off: no longer quoted."""
    _switch(code, False, reason)


@rebates_cli.command("quote")
def quote() -> None:
    """Read one quote request as JSON on standard input; print the answer as one line of JSON."""
    text = sys.stdin.read()
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"request: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")
    if not isinstance(payload, dict):
        _fail("request: give one JSON object")
    try:
        data = QuoteRequest().load(payload)
    except ValidationError as exc:
        _fail(first_problem(exc.normalized_messages()))
    session = db.session()
    try:
        program = service.find_quotable(session, data["program"])
    except service.QuoteRefused as exc:
        _fail(exc.message)
    result = service.quote(session, program, data)
    click.echo(json.dumps(service.answer(program, result, data["language"] or "en"), ensure_ascii=False))


@products_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--list", "code", required=True, help="The list's code, e.g. WATERSENSE-TOILETS.")
@click.option("--source", default="", help="Where the list comes from (a URL, a publication).")
@click.option("--effective-from", "effective_text", help="The version's first day (YYYY-MM-DD, default today).")
def import_products(path: str, code: str, source: str, effective_text: str | None) -> None:
    """Add a version of a qualified product list from CSV or XLSX (brand, model_number, attributes)."""
    acting_as(Actor(label="cli: rebates products import"))
    try:
        effective = date.fromisoformat(effective_text) if effective_text else None
    except ValueError:
        _fail(f"--effective-from: {effective_text!r} is not a date like 2026-07-01")
    try:
        with unit_of_work() as session:
            result = products.import_products(session, Path(path), code, source, effective)
    except ImportFailed as exc:
        for error in exc.errors:
            click.echo(f"{path}: {error}", err=True)
        raise click.ClickException(f"{len(exc.errors)} problem(s); nothing from the file was imported") from None
    click.echo(json.dumps(result.as_dict()))


@rebates_cli.command("budget")
@click.option("--program", "code", required=True, help="The program's code.")
@click.option("--fiscal-year", "fiscal_year", required=True, type=int, help="Named by the year it ends, e.g. 2027.")
@click.option("--amount", required=True, help="The fiscal year's whole budget in dollars (sets or raises it).")
@click.option("--reason", default="", help="Why (kept with the change).")
def budget(code: str, fiscal_year: int, amount: str, reason: str) -> None:
    """Set a program's budget for a fiscal year, or raise it; a lower figure is refused."""
    from core.money import MoneyError, parse_dollars
    from rebates import budgets

    acting_as(Actor(label="cli: rebates budget"))
    try:
        cents = parse_dollars(amount, allow_negative=False)
    except MoneyError:
        _fail(f"--amount: {amount!r} is not an amount in dollars like 250000.00")
    try:
        with unit_of_work() as session:
            program = service.get_program(session, code)
            row, change = budgets.set_budget(session, program, fiscal_year, cents, reason)
    except AssistError as exc:
        _fail(exc.message)
    numbers = budgets.figures(session, row)
    click.echo(json.dumps({"program": program.code, "fiscal_year": fiscal_year, "amount_cents": row.amount_cents,
                           "available_cents": numbers.available_cents, "changed": change is not None,
                           "offered": [o.application_id for o in (change.offers if change else [])]}))


payments_cli = AppGroup("payments", help="Rebate check payments: batch files for accounts payable and their answers.")
rebates_cli.add_command(payments_cli)


def _payment_layout() -> list[list[str]]:
    from flask import current_app

    from rebates import rules

    try:
        return rules.parse_payment_layout(current_app.config.get("REBATE_PAYMENT_COLUMNS"))
    except ValueError as exc:
        raise click.ClickException(f"REBATE_PAYMENT_COLUMNS: {exc}") from None


@payments_cli.command("export")
@click.option("--batch", "batch_id", type=int, help="Write an earlier batch again (identical bytes).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Folder for the files (default instance/exports).")
def payments_export(batch_id: int | None, out_dir: str | None) -> None:
    """Write every approved check payment not yet sent as one batch: a CSV, and an XLSX for people."""
    import hashlib

    from flask import current_app

    from rebates import payments

    acting_as(Actor(label="cli: rebates payments export"))
    session = db.session()
    if batch_id is None:
        layout = _payment_layout()
        with unit_of_work(session):
            batch = payments.export_checks(session, layout)
        if batch is None:
            click.echo(json.dumps({"batch": None, "payments": 0, "amount_cents": 0, "files": []}))
            return
    else:
        try:
            batch = payments.get_batch(session, batch_id)
        except AssistError as exc:
            _fail(f"--batch: {exc.message}")
    folder = Path(out_dir or Path(current_app.instance_path) / "exports")
    folder.mkdir(parents=True, exist_ok=True)
    csv_bytes = payments.render_csv(session, batch)
    if hashlib.sha256(csv_bytes).hexdigest() != batch.csv_sha256:
        raise click.ClickException(f"batch {batch.id} no longer renders to the file first sent; refusing to write it")
    csv_path, xlsx_path = folder / f"rebate-checks-{batch.id:06d}.csv", folder / f"rebate-checks-{batch.id:06d}.xlsx"
    csv_path.write_bytes(csv_bytes)
    xlsx_path.write_bytes(payments.render_xlsx(session, batch))
    click.echo(json.dumps({"batch": batch.id, "payments": batch.payment_count, "amount_cents": batch.total_cents,
                           "files": [str(csv_path), str(xlsx_path)]}))


@payments_cli.command("ack")
@click.argument("batch_id", type=int)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def payments_ack(batch_id: int, path: str) -> None:
    """Read accounts payable's answer for a batch (payment_id,status,check_number,reason), all or nothing."""
    from accounts import imports
    from accounts import rules as account_rules
    from rebates import payments

    acting_as(Actor(label="cli: rebates payments ack"))
    session = db.session()
    try:
        batch = payments.get_batch(session, batch_id)
    except AssistError as exc:
        _fail(f"BATCH: {exc.message}")
    try:
        with unit_of_work(session), imports.read_rows(Path(path)) as (header, rows):
            missing = account_rules.missing_columns(header, ("payment_id", "status"))
            if missing:
                raise payments.AckFailed([f"line 1, {name}: column is missing from the header" for name in missing])
            result = payments.acknowledge_checks(session, batch, rows)
    except (payments.AckFailed, ImportFailed) as exc:
        for error in exc.errors:
            click.echo(f"{path}: {error}", err=True)
        raise click.ClickException("nothing from the file was applied") from None
    click.echo(json.dumps({"batch": batch.id, "issued": result.issued, "rejected": result.rejected,
                           "unchanged": result.unchanged}))


@rebates_cli.command("tax-report")
@click.option("--year", required=True, type=int, help="The calendar year.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Folder for the file (default instance/exports).")
def tax_report(year: int, out_dir: str | None) -> None:
    """Write the payees whose reportable rebates paid in the year reach REBATE_1099_THRESHOLD."""
    from flask import current_app

    from rebates import payments

    acting_as(Actor(label="cli: rebates tax-report"))
    with unit_of_work() as session:  # the report's reading of the W-9s is audited
        rows = payments.tax_report(session, year)
    folder = Path(out_dir or Path(current_app.instance_path) / "exports")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"rebate-1099-{year}.csv"
    path.write_bytes(payments.render_tax_report(rows))
    click.echo(json.dumps({"year": year, "payees": len(rows), "file": str(path)}))
