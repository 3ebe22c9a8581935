"""A printed letter goes to the postal address the paper customer gave, else to the service address;
the print run is in ZIP order of where each letter is mailed."""
from __future__ import annotations

from sqlalchemy import select

from notices.models import Notice
from notices.service import mailing_zip
from tests.applications.helpers import TODAY
from tests.conftest import login, post_form
from tests.factories import link, make_account, make_enrollment, make_user

PO_BOX = "PO Box 4471\nOakland CA 94612-0471"


def _paper_customer(db_session, name, postal_address=None):
    customer = make_user(db_session, "customer")
    customer.letters_by_post, customer.full_name, customer.postal_address = True, name, postal_address
    db_session.flush()
    return customer


def _submitted_receipt(app, db_session, customer, account) -> Notice:
    from applications import service as lifecycle
    from eligibility.assistance import service

    link(db_session, customer, account)
    csr = make_user(db_session, "csr")
    with app.test_request_context("/"):
        application = service.start(db_session, user=csr, applicant=customer, account_number=account.number,
                                    program_codes=["CARE"], categorical=[], household={"members": [
                                        {"name": customer.full_name, "age": 41, "relationship": "self", "incomes": [
                                            {"kind": "wages", "amount_cents": 300_000, "frequency": "monthly"}]}]})
        lifecycle.submit(db_session, csr, application, customer.full_name)
    return db_session.scalar(select(Notice).where(Notice.application_id == application.id))


def test_a_paper_household_with_a_postal_address_gets_its_letter_there_and_one_without_at_home(
        app, client, db_session, clock):
    clock.freeze(TODAY)
    boxed = make_account(db_session, zip_code="94501", customer_name="Ana Ruiz")
    at_home = make_account(db_session, zip_code="94502", customer_name="Li Wei")
    to_box = _submitted_receipt(app, db_session, _paper_customer(db_session, "Ana Ruiz", PO_BOX), boxed)
    to_home = _submitted_receipt(app, db_session, _paper_customer(db_session, "Li Wei"), at_home)
    assert (to_box.delivery, to_box.mail_to, to_box.mail_zip) == ("post", PO_BOX, "94612")
    assert (to_home.delivery, to_home.mail_to, to_home.mail_zip) == ("post", None, None)

    staff = make_user(db_session, "csr")
    login(client, staff.email)
    letter = client.get(f"/programs/letters/{to_box.id}").get_data(as_text=True)
    assert "PO Box 4471<br>Oakland CA 94612-0471" in letter and "1234 Park St" not in letter
    letter = client.get(f"/programs/letters/{to_home.id}").get_data(as_text=True)
    assert "1234 Park St<br>Alameda 94502" in letter

    started = post_form(client, "/staff/letters/runs", token_from="/staff/letters")
    run_page = client.get(started.headers["Location"]).get_data(as_text=True)
    # Mailing order: Li Wei's letter goes to 94502, Ana Ruiz's to the PO box in 94612 (her account is 94501).
    assert run_page.index("Li Wei") < run_page.index("Ana Ruiz") < run_page.index("PO Box 4471<br>Oakland")
    assert run_page.count("1234 Park St") == 1


def test_the_print_run_is_in_zip_order_of_where_the_letters_go(app, db_session, clock):
    from notices import printing

    clock.freeze(TODAY)
    first = _submitted_receipt(app, db_session, _paper_customer(db_session, "Ann Able", "10 Main St\nBerkeley CA 94703"),
                               make_account(db_session, zip_code="94999"))
    second = _submitted_receipt(app, db_session, _paper_customer(db_session, "Bob Best"),
                                make_account(db_session, zip_code="94800"))
    third = _submitted_receipt(app, db_session, _paper_customer(db_session, "Cy Cole", "General delivery, Alameda"),
                               make_account(db_session, zip_code="94001"))  # no ZIP given: the account's
    run = printing.start_print_run(db_session)
    assert [notice.id for notice, _account in printing.letters_of(db_session, run)] == [third.id, first.id, second.id]


def test_an_enrollment_letter_by_post_goes_to_the_postal_address(app, db_session, clock):
    from eligibility.enrollments import service as enrollments

    clock.freeze(TODAY)
    customer = _paper_customer(db_session, "María Núñez-García", PO_BOX)
    account = make_account(db_session)
    link(db_session, customer, account)
    enrollment = make_enrollment(db_session, account=account, applicant=customer)
    with app.test_request_context("/"):
        enrollments.end(db_session, enrollment, "ended", "The account was closed.", reason_code="account_closed")
    letter = db_session.scalar(select(Notice).where(Notice.enrollment_id == enrollment.id,
                                                    Notice.kind == "enrollment_ended"))
    assert letter.delivery == "post" and letter.mail_to == PO_BOX and letter.mail_zip == "94612"


def test_the_mailing_zip_is_the_last_zip_of_the_address():
    assert mailing_zip("1200 Harbor Bay Pkwy Apt 30211\nAlameda CA 94502") == "94502"
    assert mailing_zip("PO Box 4471, Oakland CA 94612-0471") == "94612"
    assert mailing_zip("General delivery") is None
