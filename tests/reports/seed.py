"""A small, known world for the reports: CARE and FERA enrollments, decisions and credits in 2026,
and a test record that must never show."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from tests.factories import make_account, make_enrollment, make_user

FROM, TO = date(2026, 1, 1), date(2026, 6, 30)


def _at(day: date, hour: int = 18) -> datetime:
    """A UTC instant that is still `day` in Los Angeles."""
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=timezone.utc)


@dataclass
class Seeded:
    customer: object
    accounts: list
    test_account: object


def _application(session, account, applicant, program: str, submitted: date, status: str = "pending",
                 decided: date | None = None, reason: str | None = None, assisted: bool = False,
                 test_record: bool = False, purpose: str = "new", enrollment_id=None):
    from sqlalchemy import select

    from core import clock
    from applications.models import Application
    from eligibility.assistance.models import ApplicationProgram, AssistanceApplication
    from eligibility.models import Program

    program_row = session.scalar(select(Program).where(Program.code == program))
    now = clock.now()
    overall = {"pending": "submitted", "approved": "approved", "denied": "denied"}[status]
    application = Application(account_id=account.id, applicant_id=applicant.id, started_by_id=applicant.id,
                              kind="assistance", status=overall, language="es" if assisted else "en",
                              submitted_at=_at(submitted), submitted_on=submitted, created_at=now, updated_at=now,
                              assisted=assisted, test_record=test_record)
    application.assistance = AssistanceApplication(
        household={"members": [{"age": 40, "name": "=HYPERLINK(\"x\")", "incomes": []}]}, categorical=[],
        purpose=purpose, enrollment_id=enrollment_id)
    application.programs = [ApplicationProgram(program_id=program_row.id, status=status,
                                               decided_at=_at(decided) if decided else None, reason_code=reason)]
    session.add(application)
    session.flush()
    application.number = f"A{submitted.year}-{application.id:07d}"
    return application


def _credit(session, account, program: str, bill: str, cents: int, on: date, reverses=None):
    from accounts.models import LedgerEntry

    entry = LedgerEntry(account_id=account.id, amount_cents=cents, kind="reversal" if reverses else "discount",
                        idempotency_key=(f"reversal:{bill}" if reverses else f"benefit:{program}:{bill}"),
                        source_type="bill", source_id=bill, reason=f"{program} benefit on bill {bill}",
                        reverses_id=reverses.id if reverses else None, created_at=_at(on), created_by_label="test")
    session.add(entry)
    session.flush()
    return entry


def seed(session) -> Seeded:
    customer = make_user(session, "customer")
    accounts = [make_account(session, zip_code=z) for z in ("94501", "94501", "94502", "94501", "94502",
                                                            "94501", "94503", "94501")]
    # CARE: three enrolled before the period.
    old = [make_enrollment(session, account=a, applicant=customer, certified_from=date(2025, 5, 1))
           for a in accounts[:3]]
    # New in the period: February (online), March (assisted), and one more in April.
    feb = make_enrollment(session, account=accounts[3], applicant=customer, certified_from=date(2026, 2, 10))
    mar = make_enrollment(session, account=accounts[4], applicant=customer, certified_from=date(2026, 3, 5))
    from applications.models import Application

    session.get(Application, mar.application_id).assisted = True
    apr = make_enrollment(session, account=accounts[5], applicant=customer, certified_from=date(2026, 4, 20))
    # Ended in the period: one expired in April, one removed after verification in May.
    old[0].status, old[0].ended_on = "expired", date(2026, 4, 2)
    old[1].status, old[1].ended_on = "removed", date(2026, 5, 15)
    # FERA: one new in June.
    make_enrollment(session, account=accounts[6], applicant=customer, program="FERA", certified_from=date(2026, 6, 1))
    # Decisions on new applications.
    _application(session, accounts[7], customer, "CARE", date(2026, 2, 1), "approved", date(2026, 2, 11))
    _application(session, accounts[7], customer, "CARE", date(2026, 3, 1), "denied", date(2026, 3, 4),
                 reason="income_over_limit")
    _application(session, accounts[7], customer, "CARE", date(2026, 3, 2), "denied", date(2026, 3, 20),
                 reason="income_over_limit", assisted=True)
    _application(session, accounts[7], customer, "CARE", date(2026, 4, 1), "denied", date(2026, 4, 3),
                 reason="=cmd|' /C calc'!A0")
    _application(session, accounts[7], customer, "CARE", date(2026, 6, 25))                 # pending at the end
    _application(session, accounts[7], customer, "FERA", date(2026, 6, 29), "approved", date(2026, 7, 2))  # pending at the end
    # Credits: two benefits in February, one reversed in March.
    first = _credit(session, accounts[3], "CARE", "B-1", 1250, date(2026, 2, 20))
    _credit(session, accounts[4], "CARE", "B-2", 2000, date(2026, 3, 20))
    _credit(session, accounts[3], "CARE", "B-1r", -500, date(2026, 3, 25), reverses=first)
    _credit(session, accounts[6], "FERA", "B-3", 700, date(2026, 6, 20))
    # A test record: enrolled, applied, credited; it must be in no figure.
    test_account = make_account(session, number="T00000TEST", zip_code="94501")
    test_account.test_record = True
    make_enrollment(session, account=test_account, applicant=customer, certified_from=date(2026, 2, 1))
    _application(session, test_account, customer, "CARE", date(2026, 2, 2), "denied", date(2026, 2, 3),
                 reason="test_reason", test_record=True)
    _credit(session, test_account, "CARE", "B-T", 99_999, date(2026, 2, 20))
    session.flush()
    del feb, apr
    return Seeded(customer, accounts, test_account)
