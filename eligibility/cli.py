"""Commands for programs and eligibility: load definitions, list programs, check one household."""
from __future__ import annotations

import json
import sys
from datetime import date

import click
from flask.cli import AppGroup

from core import clock
from core.audit import Actor, acting_as
from core.database import db
from core.unit_of_work import unit_of_work
from core.errors import AssistError
from core.money import MoneyError, parse_dollars
from eligibility import definitions, explain, service
from eligibility.definitions import DefinitionError
from eligibility.rules import CATEGORICAL_PROGRAMS, Household, IncomeSource, Member, RuleError

programs_cli = AppGroup("programs", help="Assistance programs and their dated rule versions.")
eligibility_cli = AppGroup("eligibility", help="Income tests and categorical eligibility.")


@programs_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def load(path: str) -> None:
    """Add or update programs from a definitions file; a changed version comes in as a new one."""
    acting_as(Actor(label="cli: programs load"))
    try:
        with unit_of_work() as session:
            report = service.load_definitions(session, definitions.read_file(path))
    except DefinitionError as exc:
        for problem in exc.problems:
            click.echo(f"{path}: {problem}", err=True)
        raise click.ClickException(f"{len(exc.problems)} problem(s); nothing from the file was loaded") from None
    click.echo(json.dumps(report.as_dict()))


@programs_cli.command("list")
@click.option("--on", "on_text", help="The day to show the version in effect (YYYY-MM-DD, default today).")
def list_programs(on_text: str | None) -> None:
    """One line of JSON per program: switched on or off, and the version in effect."""
    on = _day(on_text) if on_text else clock.today()
    session = db.session()
    catalog = service.catalog(session)
    for program in service.list_programs(session):
        version = catalog.version_on(program.code, on)
        click.echo(json.dumps({"program": program.code, "name": program.name("en"), "enabled": program.enabled,
                               "example": program.example, "versions": len(program.versions),
                               "rule_version": version.id if version else None,
                               "effective_from": version.effective_from.isoformat() if version else None}))


def _switch(code: str, enabled: bool, reason: str) -> None:
    acting_as(Actor(label=f"cli: programs {'enable' if enabled else 'disable'}"))
    try:
        with unit_of_work() as session:
            program = service.get_program(session, code)
            service.set_enabled(session, program, enabled, reason)
    except AssistError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(json.dumps({"program": program.code, "enabled": program.enabled}))


@programs_cli.command("enable")
@click.argument("code")
@click.option("--reason", default="switched on from the command line", show_default=True)
def enable(code: str, reason: str) -> None:
    """Switch a program on: the screener and new applications offer it where it serves."""
    _switch(code, True, reason)


@programs_cli.command("disable")
@click.argument("code")
@click.option("--reason", default="switched off from the command line", show_default=True)
def disable(code: str, reason: str) -> None:
    """Switch a program off: no longer offered; applications already made and enrollments go on."""
    _switch(code, False, reason)


def apply_programs_setting() -> None:
    """After `db upgrade`: the programs ASSIST_PROGRAMS leaves out are switched off."""
    acting_as(Actor(label="cli: db upgrade (ASSIST_PROGRAMS)"))
    with unit_of_work() as session:
        switched = service.apply_programs_setting(session)
    if switched:
        click.echo(f"switched off (not in ASSIST_PROGRAMS): {', '.join(switched)}")


def _fail(message: str) -> None:
    """One line on stderr and exit status 2, as scripts expect of a bad argument."""
    click.echo(message, err=True)
    sys.exit(2)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"--on: {text!r} is not a date like 2026-06-01")
        raise


@eligibility_cli.command("check")
@click.option("--program", "code", required=True, help="Program code, e.g. CARE.")
@click.option("--household-size", "size_text", required=True, help="People in the household.")
@click.option("--annual-income", "income_text", required=True, help="Household income a year, in dollars.")
@click.option("--on", "on_text", help="The day that decides (YYYY-MM-DD, default today).")
@click.option("--categorical", "categorical_text", default="", help="Enrollments, e.g. SNAP,SSI.")
@click.option("--language", type=click.Choice(explain.LANGUAGES), default="en", help="Language of the explanation.")
def check(code: str, size_text: str, income_text: str, on_text: str | None, categorical_text: str,
          language: str) -> None:
    """Decide one household under a program's rules on a day; prints one line of JSON."""
    try:
        size = int(size_text)
    except ValueError:
        size = 0
    if not 1 <= size <= 30 or not size_text.strip().isdigit():
        _fail(f"--household-size: {size_text!r} is not a number of people from 1 to 30")
    try:
        income = parse_dollars(income_text, allow_negative=False)
    except MoneyError:
        _fail(f"--annual-income: {income_text!r} is not an amount in dollars, like 61200 or 61200.50")
    on = _day(on_text) if on_text else clock.today()
    categorical = [c.strip().upper() for c in categorical_text.split(",") if c.strip()]
    unknown = [c for c in categorical if c not in CATEGORICAL_PROGRAMS]
    if unknown:
        _fail(f"--categorical: unknown {', '.join(unknown)}; use {', '.join(CATEGORICAL_PROGRAMS)}")
    session = db.session()
    catalog = service.catalog(session)
    program = code.strip().upper()
    if program not in catalog.programs:
        _fail(f"--program: no program {code!r}; known: {', '.join(sorted(catalog.programs))}")
    # The command knows only the total: one adult earns it, the others have no income.
    members = (Member(age=30, incomes=(IncomeSource("wages", income, "annual"),)),) + (Member(age=30),) * (size - 1)
    try:
        result = catalog.determine(program, Household(members), categorical, on)
    except RuleError as exc:
        _fail(f"--on: {exc}")
    click.echo(json.dumps({"program": result.program, "on": on.isoformat(), "eligible": result.eligible,
                           "tier": result.tier, "limit_cents": result.limit_cents,
                           "income_cents": result.income_cents, "rule_version": result.rule_version,
                           "explanation": explain.render(result.explanation, language)}, ensure_ascii=False))
