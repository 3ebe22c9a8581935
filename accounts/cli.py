"""Commands the billing office runs: imports from the CIS, credit files back to it."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from accounts import imports, rules, service
from core.audit import Actor, acting_as
from core.database import db
from core.unit_of_work import unit_of_work

accounts_cli = AppGroup("accounts", help="Utility accounts mirrored from the CIS.")
bills_cli = AppGroup("bills", help="Bills mirrored from the CIS.")
credits_cli = AppGroup("credits", help="The credit ledger and credit files for the CIS.")


def _run_import(kind: str, path: str, func) -> None:
    acting_as(Actor(label=f"cli: {kind} import"))
    try:
        with unit_of_work() as session:
            result = func(session, Path(path))
    except imports.ImportFailed as exc:
        for error in exc.errors:
            click.echo(f"{path}: {error}", err=True)
        raise click.ClickException(f"{len(exc.errors)} bad row(s); nothing from {Path(path).name} was applied") from None
    line = {"file": Path(path).name, "rows": result.rows, "created": result.created, "updated": result.updated,
            "unchanged": result.unchanged}
    if kind == "accounts":
        line["closed"] = len(result.closed)
    click.echo(json.dumps(line))


@accounts_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_accounts(path: str) -> None:
    """Add or update accounts from a CSV or XLSX file, all or nothing."""
    _run_import("accounts", path, imports.import_accounts)


@bills_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_bills(path: str) -> None:
    """Add bills (and cancel/rebills) from a CSV or XLSX file, all or nothing."""
    _run_import("bills", path, imports.import_bills)


def _layout() -> list[list[str]]:
    try:
        return rules.parse_layout(current_app.config.get("CREDIT_EXPORT_COLUMNS"))
    except ValueError as exc:
        raise click.ClickException(f"CREDIT_EXPORT_COLUMNS: {exc}") from None


@credits_cli.command("export")
@click.option("--batch", "batch_id", type=int, help="Write an earlier batch again (identical bytes).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Folder for the files (default instance/exports).")
def export(batch_id: int | None, out_dir: str | None) -> None:
    """Write every credit not yet sent as one batch: a CSV for the CIS and an XLSX for people."""
    acting_as(Actor(label="cli: credits export"))
    session = db.session()
    if batch_id is None:
        batch = service.export_credits(session, _layout())
        if batch is None:
            db.session.commit()
            click.echo(json.dumps({"batch": None, "entries": 0}))
            return
        db.session.commit()
    else:
        batch = service.get_batch(session, batch_id)
    folder = Path(out_dir or Path(current_app.instance_path) / "exports")
    folder.mkdir(parents=True, exist_ok=True)
    csv_bytes = service.render_csv(session, batch)
    if hashlib.sha256(csv_bytes).hexdigest() != batch.csv_sha256:
        raise click.ClickException(f"batch {batch.id} no longer renders to the file first sent; refusing to write it")
    csv_path, xlsx_path = folder / f"credits-{batch.id:06d}.csv", folder / f"credits-{batch.id:06d}.xlsx"
    csv_path.write_bytes(csv_bytes)
    xlsx_path.write_bytes(service.render_xlsx(session, batch))
    click.echo(json.dumps({"batch": batch.id, "entries": batch.entry_count, "total_cents": batch.total_cents,
                           "csv": str(csv_path), "xlsx": str(xlsx_path), "sha256": batch.csv_sha256}))


@credits_cli.command("ack")
@click.argument("batch_id", type=int)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def ack(batch_id: int, path: str) -> None:
    """Read the CIS's result file (entry_id, status accepted|rejected, reason) for a batch."""
    acting_as(Actor(label="cli: credits ack"))
    session = db.session()
    batch = service.get_batch(session, batch_id)
    try:
        with unit_of_work(session), imports.read_rows(Path(path)) as (header, rows):
            missing = rules.missing_columns(header, ("entry_id", "status"))
            if missing:
                raise service.AckFailed([f"line 1, {name}: column is missing from the header" for name in missing])
            result = service.acknowledge(session, batch, rows)
    except service.AckFailed as exc:
        for error in exc.errors:
            click.echo(f"{path}: {error}", err=True)
        raise click.ClickException("nothing from the file was applied") from None
    click.echo(json.dumps({"batch": batch.id, "accepted": result.accepted, "rejected": result.rejected,
                           "unchanged": result.unchanged}))
