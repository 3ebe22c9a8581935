"""Demo data: the tiered example program (marked as an example) beside the shipped programs."""
from __future__ import annotations

from sqlalchemy.orm import Session

from eligibility import definitions, service


def load(session: Session, echo, options: dict) -> None:
    report = service.load_definitions(session, definitions.example())
    added = ", ".join(report.programs_added) or "already there"
    echo(f"  example program: EXAMPLE-TIERED ({added})")
