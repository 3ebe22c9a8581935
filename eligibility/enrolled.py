"""Whether an account is enrolled in assistance programs: the one question other areas ask.

`rebates` imports only this from eligibility (enhanced rebate amounts for enrolled households);
it is read-only and returns program codes, never rows.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from eligibility.enrollments.models import CURRENT_ENROLLMENT, Enrollment
from eligibility.models import Program


def enrolled_programs(session: Session, account_id: int, on: date) -> set[str]:
    """The codes of the programs the account is currently enrolled in on `on` (the benefit applies)."""
    rows = session.scalars(
        select(Program.code).join(Enrollment, Enrollment.program_id == Program.id)
        .where(Enrollment.account_id == account_id, Enrollment.status.in_(CURRENT_ENROLLMENT),
               Enrollment.enrolled_from <= on, or_(Enrollment.ended_on.is_(None), Enrollment.ended_on > on)))
    return set(rows)
