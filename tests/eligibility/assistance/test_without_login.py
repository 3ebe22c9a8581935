"""Phone, paper and walk-in applications: a CSR starts one for a customer with no email login
(a customer record with name, address and language); letters go by post through the print runs;
later the CSR invites the customer to sign in, and letters come by email."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from auth.models import User
from core.outbox import OutboxMessage
from applications.models import Application
from notices.models import Notice
from tests.applications.helpers import TODAY
from tests.conftest import PASSWORD, login, post_form
from tests.factories import make_account, make_user


@pytest.fixture
def csr(client, db_session, clock):
    clock.freeze(TODAY)
    user = make_user(db_session, "csr")
    login(client, user.email)
    return user


def _start_by_phone(client, account, **extra):
    return post_form(client, "/apply", {"account_number": account.number, "programs": ["CARE"], "channel": "phone",
                                        "full_name": "María Núñez-García", "customer_language": "es",
                                        "postal_address": "PO Box 12\nAlameda CA 94501",
                                        "proof": "Last bill amount and service address confirmed by phone",
                                        **extra}, token_from="/apply")


def test_a_csr_takes_a_phone_application_and_its_letters_go_by_post(client, db_session, csr):
    from applications import service as lifecycle
    from eligibility.assistance import service

    account = make_account(db_session)
    response = _start_by_phone(client, account)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    application_id = int(re.search(r"/applications/(\d+)/household", response.location).group(1))
    application = db_session.get(Application, application_id)
    customer = db_session.get(User, application.applicant_id)
    assert (customer.full_name, customer.language, customer.role) == ("María Núñez-García", "es", "customer")
    assert customer.letters_by_post and customer.postal_address == "PO Box 12\nAlameda CA 94501"
    assert application.assisted and application.language == "es"
    # Nobody can sign in with the placeholder address.
    refused = post_form(client.application.test_client(), "/login", {"email": customer.email, "password": PASSWORD})
    assert refused.status_code == 200

    service.update(db_session, application, household={"members": [
        {"name": "María Núñez-García", "age": 41, "relationship": "self",
         "incomes": [{"kind": "wages", "amount_cents": 300_000, "frequency": "monthly"}]}]})
    lifecycle.submit(db_session, csr, application, "María Núñez-García")
    db_session.flush()
    receipt = db_session.scalar(select(Notice).where(Notice.application_id == application_id))
    assert receipt.delivery == "post" and receipt.outbox_message_id is None and receipt.print_run_id is None
    assert receipt.language == "es"
    assert db_session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == customer.id)) is None
    from notices import printing

    run = printing.start_print_run(db_session)  # the existing print runs take it
    db_session.refresh(receipt)
    assert receipt.print_run_id == run.id

    page = client.get(f"/staff/accounts/{account.number}").get_data(as_text=True)
    assert "María Núñez-García (no email login; letters by post)" in page
    assert "PO Box 12" in page

    # Later the CSR invites the customer to sign in: the email gets a link, letters come by email.
    invited = post_form(client, f"/staff/accounts/{account.number}/invite",
                        {"user_id": str(customer.id), "invite_email": "Maria.Nunez@example.org"},
                        token_from=f"/staff/accounts/{account.number}")
    assert invited.status_code == 302
    db_session.refresh(customer)
    assert customer.email == "maria.nunez@example.org" and not customer.letters_by_post
    invitation = db_session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "auth.invitation"))
    assert invitation.to_address == "maria.nunez@example.org" and invitation.language == "es"
    lifecycle.send_notice(db_session, application, "receipt")
    db_session.flush()
    latest = db_session.scalars(select(Notice).where(Notice.application_id == application_id)
                                .order_by(Notice.id.desc())).first()
    assert latest.delivery == "email" and latest.outbox_message_id is not None


def test_a_phone_application_names_what_is_missing(client, db_session, csr):
    account = make_account(db_session)
    response = _start_by_phone(client, account, full_name=" ", proof="")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="full_name-error-1"' in body and 'id="proof-error-1"' in body
    assert db_session.scalar(select(User).where(User.full_name == "María Núñez-García")) is None


def test_an_invitation_to_an_email_another_login_has_is_refused(client, db_session, csr):
    account = make_account(db_session)
    assert _start_by_phone(client, account).status_code == 302
    customer = db_session.scalar(select(User).where(User.letters_by_post.is_(True)))
    other = make_user(db_session, "customer")
    response = post_form(client, f"/staff/accounts/{account.number}/invite",
                         {"user_id": str(customer.id), "invite_email": other.email},
                         token_from=f"/staff/accounts/{account.number}")
    assert response.status_code == 409
    assert 'id="invite_email-error-1"' in response.get_data(as_text=True)
    db_session.refresh(customer)
    assert customer.letters_by_post


def test_a_customer_with_a_login_cannot_be_invited_again(client, db_session, csr):
    from accounts import service as accounts_service

    account = make_account(db_session)
    customer = make_user(db_session, "customer")
    accounts_service.link_by_staff(db_session, csr, customer, account, "seen at the counter")
    response = post_form(client, f"/staff/accounts/{account.number}/invite",
                         {"user_id": str(customer.id), "invite_email": "new@example.org"},
                         token_from=f"/staff/accounts/{account.number}")
    assert response.status_code == 409
