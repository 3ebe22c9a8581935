"""A reminder's link to a renewal filled in from last time, the CSR's worklist and the manager's months."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def reminded(live_app, make_staff, make_account):
    """A customer whose CARE certification ends in 20 days, reminded by today's run."""
    from sqlalchemy import select

    from accounts.models import Account
    from auth.models import User
    from core import clock
    from core.audit import Actor, acting_as
    from core.database import db
    from eligibility.recertification import daily
    from eligibility.recertification.rules import add_months
    from tests import factories

    number = make_account()
    email, password = make_staff("customer")
    with live_app.test_request_context():
        acting_as(Actor(label="test: recert run"))
        user = db.session.scalar(select(User).where(User.email == email))
        account = db.session.scalar(select(Account).where(Account.number == number))
        factories.link(db.session, user, account)
        today = clock.today()
        start = add_months(today + timedelta(days=21), -24)
        enrollment = factories.make_enrollment(db.session, account=account, applicant=user, certified_from=start)
        db.session.commit()
        report = daily.run(db.session(), today)
        assert report.reminders_sent >= 1 and report.errors == []
        return email, password, number, enrollment.id


def test_a_customer_renews_from_my_programs_confirming_each_fact(live_server, new_page, reminded):
    email, password, number, enrollment_id = reminded
    page = new_page()
    sign_in(page, live_server, email, password)
    page.goto(f"{live_server}/programs/mine")
    expect(page.get_by_role("link", name="Time to renew California Alternate Rates for Energy (CARE)")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Time to renew California Alternate Rates for Energy (CARE)").click()
    expect(page.get_by_text("in 20 days")).to_be_visible()
    page.goto(f"{live_server}/programs/mine")
    page.get_by_role("link", name="Renew now").click()
    assert_accessible(page)
    page.get_by_role("button", name="Start my renewal").click()
    expect(page.locator("#name-0")).to_have_value("Rosa Diaz")
    assert_accessible(page)
    page.get_by_role("button", name="Save and continue").last.click()
    expect(page.locator("#confirm-0-error-1")).to_be_visible()      # neither changed nor confirmed
    assert page.locator("#confirm-0").get_attribute("aria-describedby") == "confirm-0-error-1 "
    assert_accessible(page)
    page.locator("label[for=confirm-0]").click()
    page.get_by_role("button", name="Save and continue").last.click()
    expect(page.get_by_role("heading", name="Benefits you receive", exact=False)).to_be_visible()


def test_the_worklist_and_the_month_view_are_accessible(live_server, new_page, make_staff, reminded):
    _email, _password, number, _enrollment_id = reminded
    csr_email, csr_password = make_staff("csr")
    csr = new_page()
    sign_in(csr, live_server, csr_email, csr_password)
    csr.goto(f"{live_server}/staff/recertification?view=due30")
    expect(csr.get_by_role("link", name=number)).to_be_visible()
    assert_accessible(csr)
    csr.get_by_role("link", name=number).click()
    expect(csr.get_by_text("Time to renew", exact=False).first).to_be_visible()
    assert_accessible(csr)
    manager_email, manager_password = make_staff("manager")
    manager = new_page()
    sign_in(manager, live_server, manager_email, manager_password)
    manager.goto(f"{live_server}/staff/recertification/months")
    expect(manager.get_by_role("table")).to_be_visible()
    assert_accessible(manager)


def test_a_csr_starts_a_print_run_and_its_letters_are_accessible(live_app, live_server, new_page, make_staff,
                                                                  make_account, tmp_path):
    """A household with no sign-in, enrolled from an agency's file: its letter goes to the next print run."""
    number = make_account()
    path = tmp_path / "agency.csv"
    path.write_text(f"account_number,program,categorical_program,agency_reference\n{number},CARE,SNAP,CF-77\n")
    result = live_app.test_cli_runner().invoke(args=["enrollments", "auto", str(path)])
    assert result.exit_code == 0, result.output
    email, password = make_staff("csr")
    page = new_page()
    sign_in(page, live_server, email, password)
    page.goto(f"{live_server}/staff/letters")
    expect(page.get_by_text("letter is waiting", exact=False).or_(page.get_by_text("letters are waiting",
                                                                                    exact=False))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Start a print run").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Print run", exact=False).first).to_be_visible()
    expect(page.get_by_role("heading", name="You are enrolled", exact=False).first).to_be_visible()
    assert_accessible(page)
    page.goto(f"{live_server}/staff/letters")
    expect(page.get_by_text("No letters are waiting to be printed.")).to_be_visible()
