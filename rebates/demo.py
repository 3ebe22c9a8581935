"""Demo data: the example water-rebate program (marked as an example), switched on, and its
example WaterSense toilet list."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from rebates import definitions, products, service

EXAMPLE_LIST = "WATERSENSE-TOILETS"


def load(session: Session, echo, options: dict) -> None:
    report = service.load_definitions(session, definitions.example())
    for code in ("EXAMPLE-WATER",):
        service.set_enabled(session, service.get_program(session, code), True, "switched on by the demo")
    result = products.import_products(session, definitions.DATA / "example_watersense_toilets.csv", EXAMPLE_LIST,
                                      "Example list in the shape of EPA WaterSense's product search export",
                                      date(2025, 1, 1))
    added = ", ".join(report.programs_added) or "already there"
    echo(f"  example rebate program: EXAMPLE-WATER ({added}); product list {EXAMPLE_LIST} v{result.version}")
    load_budgets(session, echo)
    load_supplies(session, echo)


DEMO_BUDGET_CENTS = 25_000_000  # $250,000 a fiscal year


def load_budgets(session: Session, echo) -> None:
    """A budget for this fiscal year and the next, so demo applications are held, not waitlisted."""
    from core import clock
    from rebates import budgets

    program = service.get_program(session, "EXAMPLE-WATER")
    this_year = budgets.fiscal_year_of(program, clock.today())
    for year in (this_year, this_year + 1):
        budget, _change = budgets.set_budget(session, program, year, max(DEMO_BUDGET_CENTS, budgets.amount_of(
            session, program, year)), "demo budget")
    echo(f"  example rebate budgets: FY{this_year} and FY{this_year + 1}")


def load_supplies(session: Session, echo) -> None:
    from rebates import supplies

    report = supplies.load_supplies(session, supplies.example_items())
    echo(f"  example free supplies: {len(report.added)} added, {report.unchanged} already there")
