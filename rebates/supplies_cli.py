"""Commands for free supplies: load the items, receive and count stock, pack and ship batches."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from core.audit import Actor, acting_as
from core.database import db
from core.errors import AssistError
from core.unit_of_work import unit_of_work
from rebates import supplies

supplies_cli = AppGroup("supplies", help="Free water-saving supplies: items, stock, shipping batches.")


@supplies_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def load(path: str) -> None:
    """Add or update supply items from a JSON file; every problem is named and then nothing is loaded."""
    acting_as(Actor(label="cli: supplies load"))
    try:
        with unit_of_work() as session:
            report = supplies.load_supplies(session, supplies.read_file(path))
    except supplies.SupplyFileError as exc:
        for problem in exc.problems:
            click.echo(f"{path}: {problem}", err=True)
        raise click.ClickException(f"{len(exc.problems)} problem(s); nothing from the file was loaded") from None
    click.echo(json.dumps(report.as_dict()))


def _stock(command: str, code: str, quantity: int, reason: str) -> None:
    acting_as(Actor(label=f"cli: supplies {command}"))
    try:
        with unit_of_work() as session:
            item = supplies.get_item(session, code)
            stock = (supplies.receive if command == "receive" else supplies.count)(session, item, quantity, reason)
    except AssistError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(json.dumps({"supply": item.code, "stock": stock}))


@supplies_cli.command("receive")
@click.argument("code")
@click.argument("quantity", type=int)
@click.option("--reason", required=True, help="Where they came from (a delivery note, a purchase order).")
def receive(code: str, quantity: int, reason: str) -> None:
    """Add units delivered to the stock."""
    _stock("receive", code, quantity, reason)


@supplies_cli.command("count")
@click.argument("code")
@click.argument("quantity", type=int)
@click.option("--reason", required=True, help="Why the shelf was counted.")
def count(code: str, quantity: int, reason: str) -> None:
    """Set the stock to what was counted on the shelf; the difference is a ledger row."""
    _stock("count", code, quantity, reason)


@supplies_cli.command("ship")
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Write the packing list and labels (HTML) here.")
@click.option("--batch", "batch_id", type=int, help="Write an earlier batch again instead of packing a new one.")
def ship(out: str | None, batch_id: int | None) -> None:
    """Pack every open order not yet packed into one batch; with nothing new, no batch is made."""
    acting_as(Actor(label="cli: supplies ship"))
    session = db.session()
    if batch_id is not None:
        try:
            batch = supplies.get_batch(session, batch_id)
        except AssistError as exc:
            raise click.ClickException(exc.message) from None
        if out:
            Path(out).write_text(supplies.render_batch(session, batch), encoding="utf-8")
        click.echo(json.dumps({"batch": batch.id, "orders": batch.orders, "out": out}))
        return
    with unit_of_work(session):
        batch = supplies.start_batch(session)
    if batch is None:
        click.echo(json.dumps({"batch": None, "orders": 0}))
        return
    if out:
        Path(out).write_text(supplies.render_batch(session, batch), encoding="utf-8")
    click.echo(json.dumps({"batch": batch.id, "orders": batch.orders, "out": out}))


@supplies_cli.command("shipped")
@click.argument("batch_id", type=int)
def shipped(batch_id: int) -> None:
    """Mark a batch shipped: its orders are shipped and the customers are told by email."""
    acting_as(Actor(label="cli: supplies shipped"))
    try:
        with unit_of_work() as session:
            orders = supplies.mark_shipped(session, supplies.get_batch(session, batch_id))
    except AssistError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(json.dumps({"batch": batch_id, "orders": orders}))
