"""A request for information answered by upload; a denial, its letter and an appeal, in a browser."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.applications.helpers import family, transcript
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def submitted(live_app, make_staff, make_account):
    """A customer (email, password) with a submitted CARE application; returns (email, password, id)."""
    def make(agi_cents: int, monthly: str):
        from sqlalchemy import select

        from accounts.models import Account
        from auth.models import User
        from core.database import db
        from applications import service as lifecycle
        from eligibility.assistance import service
        from eligibility.assistance.schemas import ApplicationHouseholdIn
        from tests import factories

        number = make_account()
        email, password = make_staff("customer")
        with live_app.test_request_context():
            user = db.session.scalar(select(User).where(User.email == email))
            account = db.session.scalar(select(Account).where(Account.number == number))
            factories.link(db.session, user, account)
            household = ApplicationHouseholdIn().load(family(income=monthly))
            application = service.start(db.session, user=user, applicant=user, account_number=number,
                                        program_codes=["CARE"], household=household, categorical=[])
            lifecycle.attach(db.session, user, application, data=transcript(agi_cents=agi_cents), filename="t.pdf")
            db.session.commit()
            lifecycle.submit(db.session, user, application, "Zach T Woo")
            db.session.commit()
            return email, password, application.id

    return make


def test_a_request_for_information_is_answered_by_upload(live_server, new_page, make_staff, submitted, tmp_path):
    email, password, application_id = submitted(3_600_000, "3000.00")
    csr_email, csr_password = make_staff("csr")
    csr = new_page()
    sign_in(csr, live_server, csr_email, csr_password)
    csr.goto(f"{live_server}/staff/applications/{application_id}")
    csr.locator("label[for=decision-request_info]").click()
    csr.locator("#checklist").fill("Page 2 of your tax return transcript")
    csr.get_by_role("button", name="Save the decision").click()
    expect(csr.get_by_text("The decision is saved and the customer is told.")).to_be_visible()

    customer = new_page()
    sign_in(customer, live_server, email, password)
    customer.goto(f"{live_server}/applications/{application_id}")
    expect(customer.get_by_text("Page 2 of your tax return transcript")).to_be_visible()
    assert_accessible(customer)
    page2 = tmp_path / "page2.pdf"
    page2.write_bytes(transcript(agi_cents=3_600_000, tracking="100012340002"))
    customer.locator("#file").set_input_files(str(page2))
    customer.get_by_role("button", name="I have sent everything").click()  # sends the chosen file too
    expect(customer.get_by_text("being reviewed")).to_be_visible()
    assert_accessible(customer)

    csr.goto(f"{live_server}/staff/queue")
    expect(csr.get_by_text("customer responded").first).to_be_visible()
    assert_accessible(csr)


def test_a_denial_its_letter_and_an_appeal(live_server, new_page, make_staff, submitted):
    email, password, application_id = submitted(10_800_000, "9000.00")
    csr_email, csr_password = make_staff("csr")
    csr = new_page()
    sign_in(csr, live_server, csr_email, csr_password)
    csr.goto(f"{live_server}/staff/applications/{application_id}")
    csr.locator("label[for=decision-deny]").click()
    csr.locator("#reason").select_option("over_income")
    csr.get_by_role("button", name="Save the decision").click()
    expect(csr.get_by_text("The decision is saved and the customer is told.")).to_be_visible()

    customer = new_page()
    sign_in(customer, live_server, email, password)
    customer.goto(f"{live_server}/applications/{application_id}")
    customer.get_by_role("link", name="was not approved").click()
    expect(customer.get_by_text("Household income is over the program's limit")).to_be_visible()
    expect(customer.get_by_text("appeal within 30 days")).to_be_visible()
    assert_accessible(customer)
    customer.goto(f"{live_server}/applications/{application_id}")
    customer.locator("#reason-CARE").fill("My hours were cut in October; my pay is lower now.")
    customer.get_by_role("button", name="Send my appeal").click()
    expect(customer.get_by_text("Your appeal is sent. A manager will review it.")).to_be_visible()
    expect(customer.get_by_text("appeal being reviewed")).to_be_visible()
    assert_accessible(customer)

    manager_email, manager_password = make_staff("manager")
    manager = new_page()
    sign_in(manager, live_server, manager_email, manager_password)
    manager.goto(f"{live_server}/staff/applications/{application_id}")
    assert_accessible(manager)
    manager.locator("label[for=outcome-overturned]").click()
    manager.locator("#appeal_note").fill("New pay stubs show $2,900 a month.")
    manager.get_by_role("button", name="Decide the appeal").click()
    expect(manager.get_by_text("The appeal is decided and the customer is told.")).to_be_visible()
    customer.reload()
    expect(customer.get_by_text("The decision on your appeal")).to_be_visible()


def test_denying_an_eligible_program_asks_first_and_the_letter_reads_like_a_letter(live_server, new_page, make_staff,
                                                                                  submitted):
    email, password, application_id = submitted(3_600_000, "3000.00")
    csr_email, csr_password = make_staff("csr")
    csr = new_page()
    sign_in(csr, live_server, csr_email, csr_password)
    csr.goto(f"{live_server}/staff/applications/{application_id}")
    expect(csr.locator("input[name=decision]:checked")).to_have_count(0)
    csr.locator("label[for=decision-deny]").click()
    csr.locator("#reason").select_option("no_proof")
    csr.locator("#message").fill("Please send the lease for the new address.")
    csr.locator("#note").fill("Second look: address mismatch")
    csr.get_by_role("button", name="Save the decision").click()
    expect(csr.get_by_text("Tick the box to confirm the denial").first).to_be_visible()
    assert_accessible(csr)
    csr.locator("label[for=confirm_deny]").click()
    csr.get_by_role("button", name="Save the decision").click()
    expect(csr.get_by_text("The decision is saved and the customer is told.")).to_be_visible()

    customer = new_page()
    sign_in(customer, live_server, email, password)
    customer.goto(f"{live_server}/applications/{application_id}")
    customer.get_by_role("link", name="was not approved").click()
    letter = customer.locator("article.assist-letter")
    expect(letter.get_by_text("Assist Demo Utility").first).to_be_visible()
    expect(letter.get_by_text("Please send the lease for the new address.")).to_be_visible()
    expect(letter.get_by_text("Sincerely,")).to_be_visible()
    expect(letter).not_to_contain_text("address mismatch")
    expect(letter).not_to_contain_text("You qualify")
    assert letter.evaluate("el => getComputedStyle(el.querySelector('.assist-letter__body p')).fontFamily") \
        != "monospace"
    assert_accessible(customer)
