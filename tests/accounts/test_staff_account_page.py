"""The staff page of an account tells its whole story: enrollments, applications and ledger together."""
from __future__ import annotations

from tests.conftest import login
from tests.factories import make_account, make_enrollment, make_user


def test_the_staff_page_of_an_account_shows_its_enrollments_applications_and_ledger(client, db_session):
    from accounts import service

    customer = make_user(db_session, "customer")
    account = make_account(db_session)
    other = make_account(db_session)
    enrollment = make_enrollment(db_session, account=account, applicant=customer, program="CARE")
    elsewhere = make_enrollment(db_session, account=other, applicant=customer, program="FERA")
    csr = make_user(db_session, "csr")
    service.post_entry(db_session, account=account, amount_cents=4_500, kind="adjustment", idempotency_key="leak-1",
                       reason="Leak under the slab repaired", reason_code="leak_adjustment")
    db_session.flush()
    login(client, csr.email)

    page = client.get(f"/staff/accounts/{account.number}").get_data(as_text=True)

    enrollments = page.index('id="account-enrollments"')
    applications = page.index('id="account-applications"')
    ledger = page.index("Credit ledger")
    assert enrollments < applications < ledger
    assert "California Alternate Rates for Energy" in page[enrollments:applications]
    assert "active" in page[enrollments:applications]
    from applications.models import Application

    number = db_session.get(Application, enrollment.application_id).number
    assert number in page[applications:ledger]
    assert f'/staff/applications/{enrollment.application_id}' in page[applications:ledger]
    assert "Leak under the slab repaired" in page[ledger:] and "$45.00" in page[ledger:]
    assert db_session.get(Application, elsewhere.application_id).number not in page  # another account's application is not shown here


def test_an_account_with_nothing_yet_says_so(client, db_session):
    account = make_account(db_session)
    csr = make_user(db_session, "csr")
    login(client, csr.email)
    page = client.get(f"/staff/accounts/{account.number}").get_data(as_text=True)
    assert "No enrollments." in page and "No applications." in page
