"""Letters by post that are about no enrollment are counted and printed like any other, and a household
without an email login gets its letters (reasons included) in its own language."""
from __future__ import annotations

from sqlalchemy import select

from notices.models import Notice
from tests.applications.helpers import TODAY
from tests.conftest import login
from tests.factories import link, make_account, make_enrollment, make_user


def _paper_customer(db_session, language="es"):
    customer = make_user(db_session, "customer", language=language)
    customer.letters_by_post, customer.full_name = True, "María Núñez-García"
    db_session.flush()
    return customer


def test_a_post_letter_without_an_enrollment_is_counted_and_printed(app, client, db_session, clock):
    from applications import service as lifecycle
    from eligibility.assistance import service
    from notices import printing

    clock.freeze(TODAY)
    customer = _paper_customer(db_session)
    account = make_account(db_session, zip_code="94110", customer_name="María Núñez-García")
    link(db_session, customer, account)
    csr = make_user(db_session, "csr")
    with app.test_request_context("/"):
        application = service.start(db_session, user=csr, applicant=customer, account_number=account.number,
                                    program_codes=["CARE"], categorical=[], household={"members": [
                                        {"name": "María Núñez-García", "age": 41, "relationship": "self", "incomes": [
                                            {"kind": "wages", "amount_cents": 300_000, "frequency": "monthly"}]}]})
        lifecycle.submit(db_session, csr, application, "María Núñez-García")
    receipt = db_session.scalar(select(Notice).where(Notice.application_id == application.id))
    assert receipt.enrollment_id is None and receipt.delivery == "post" and receipt.account_id == account.id

    assert printing.waiting(db_session).by_kind == {"receipt": 1}
    run = printing.start_print_run(db_session)
    assert run.letters == 1
    letters = printing.letters_of(db_session, run)
    assert [(notice.id, account_row.number) for notice, account_row in letters] == [(receipt.id, account.number)]

    login(client, csr.email)
    page = client.get(f"/staff/letters/runs/{run.id}").get_data(as_text=True)
    assert receipt.subject in page and "María Núñez-García" in page


def test_a_household_without_email_gets_the_reason_its_enrollment_ended_in_its_language(app, db_session, clock):
    from eligibility.enrollments import service as enrollments

    clock.freeze(TODAY)
    customer = _paper_customer(db_session, "es")
    account = make_account(db_session)
    link(db_session, customer, account)
    enrollment = make_enrollment(db_session, account=account, applicant=customer)
    with app.test_request_context("/"):  # a CSR's page in English ends it
        enrollments.end(db_session, enrollment, "ended", "The account was closed.", reason_code="account_closed")
    letter = db_session.scalar(select(Notice).where(Notice.enrollment_id == enrollment.id,
                                                    Notice.kind == "enrollment_ended"))
    assert letter.delivery == "post" and letter.language == "es" and letter.outbox_message_id is None
    assert "La cuenta se cerró." in letter.body and "The account was closed." not in letter.body


def test_a_denial_letter_gives_the_reason_in_the_customers_language(app, db_session, clock):
    from tests.applications.helpers import make_world

    world = make_world(app, db_session, clock)
    world.customer.language = "es"
    db_session.flush()
    submitted = world.submitted()
    response = world.decide(submitted["id"], decision="deny", program="CARE", reason="over_income")
    assert response.status_code == 200, response.json
    letter = db_session.scalar(select(Notice).where(Notice.application_id == submitted["id"],
                                                    Notice.kind == "denial"))
    assert letter.language == "es"
    from applications.models import DenialReason

    reason = db_session.scalar(select(DenialReason).where(DenialReason.code == "over_income"))
    assert reason.labels["es"] in letter.body and reason.labels["en"] not in letter.body
