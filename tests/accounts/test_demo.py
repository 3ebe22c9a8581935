"""Demo data: a few hundred accounts with a year of bills, and scale data on request."""
from __future__ import annotations

from sqlalchemy import func, select


def test_demo_adds_accounts_with_a_year_of_bills_and_scale_data(app, db_session):
    from accounts.models import Account, AccountLink, Bill

    result = app.test_cli_runner().invoke(args=["demo", "--accounts", "25"])
    assert result.exit_code == 0, result.output
    assert "300 accounts with a year of bills" in result.output and "25 scale accounts" in result.output
    assert db_session.scalar(select(func.count()).select_from(Account)) >= 325
    scale_bills = db_session.scalar(select(func.count()).select_from(Bill).join(Account)
                                    .where(Account.number.like("2%")))
    assert scale_bills == 25 * 12
    assert db_session.scalar(select(func.count()).select_from(AccountLink)) >= 1


def test_demo_leaves_applications_waiting_in_the_queue(app, db_session):
    from applications.models import Application

    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "applications waiting in the CSR queue" in result.output
    waiting = db_session.scalars(select(Application).where(Application.status == "submitted")).all()
    assert len(waiting) == 3 and all(a.notices for a in waiting)
