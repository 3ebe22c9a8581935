"""`letters print`: the letters going by post, taken into a print run and written out for the mailroom."""
from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from core.audit import Actor, acting_as
from core.database import db
from core.unit_of_work import unit_of_work

letters_cli = AppGroup("letters", help="Letters going by post: print runs.")


@letters_cli.command("print")
@click.option("--out", type=click.Path(dir_okay=False, writable=True),
              help="Write the run's letters to this HTML file, one to a printed page.")
@click.option("--run", "run_id", type=int, help="Write an earlier print run again instead of starting one.")
def print_letters(out: str | None, run_id: int | None) -> None:
    """Take every letter waiting for the post into a print run (or reopen one) and write it out."""
    from core.errors import AssistError
    from notices import printing

    acting_as(Actor(label="cli: letters print"))
    session = db.session()
    try:
        with unit_of_work(session):
            run = printing.start_print_run(session) if run_id is None else printing.get_run(session, run_id)
    except AssistError as exc:
        click.echo(exc.message, err=True)
        sys.exit(0 if run_id is None else 1)
    if out:
        with open(out, "w", encoding="utf-8") as handle:
            for part in printing.render_run(session, run):
                handle.write(part)
    click.echo(json.dumps({"print_run": run.id, "letters": run.letters, "out": out}))
