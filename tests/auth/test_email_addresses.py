"""Issue 12, item 8: addresses that would poison the mail queue are refused wherever they come in.

A newline in an address later broke `outbox send`; a comma added a recipient. Syntax only: no DNS
look-up, and `.test` and other special-use test domains stay valid.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, csrf_token, login, post_form, random_email
from tests.factories import make_account, make_user, link

POISON = [
    pytest.param("pat@example.com\nBcc: eve@evil.test", "line breaks", id="newline-header"),
    pytest.param("pat@example.com\r", "line breaks", id="trailing-cr"),
    pytest.param("pat@example.com\n", "line breaks", id="trailing-newline"),
    pytest.param("pat\x00@example.com", "control characters", id="nul"),
    pytest.param("pat@example.com,eve@evil.test", "without commas", id="comma"),
    pytest.param("pat,eve@example.com", "without commas", id="comma-local"),
    pytest.param("pat@example.com; eve@evil.test", "without commas", id="semicolon"),
    pytest.param("Pat <pat@example.com>", "like name@example.com", id="display-name"),
    pytest.param('"pat eve"@example.com', "like name@example.com", id="quoted"),
    pytest.param("pat@", "like name@example.com", id="no-domain"),
]


def _assert_refused(response, address, why, field):
    """422 with the reason; a NUL, which no database can store, is refused first by the input layer (400)."""
    text = response.get_data(as_text=True)
    if "\x00" in address:
        assert response.status_code == 400 and field in text
    else:
        assert response.status_code == 422 and why in text


def _users_with(session, fragment):
    from auth.models import User

    return session.scalar(select(func.count()).select_from(User).where(User.email.contains(fragment)))


@pytest.mark.parametrize("address, why", POISON)
def test_registration_refuses_the_address_with_the_reason(client, db_session, address, why):
    response = post_form(client, "/register", {"email": address, "password": PASSWORD, "password_confirm": PASSWORD})
    _assert_refused(response, address, why, "email")
    assert _users_with(db_session, "pat") == 0


@pytest.mark.parametrize("address", ["someone@school.test", "rosa.diaz+bills@example.com", "ana@mail.example",
                                     "josé@example.com"])
def test_ordinary_and_test_domain_addresses_are_welcome(client, db_session, address):
    from auth.models import User

    response = post_form(client, "/register", {"email": address, "password": PASSWORD, "password_confirm": PASSWORD})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert db_session.scalar(select(User).where(User.email == address.lower())) is not None


def test_no_dns_look_up_is_made(client, db_session, monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("an address check must not touch the network")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    response = post_form(client, "/register", {"email": random_email(), "password": PASSWORD,
                                               "password_confirm": PASSWORD})
    assert response.status_code == 200


@pytest.mark.parametrize("address, why", POISON[:5])
def test_the_cli_refuses_the_address(app, db_session, address, why):
    result = app.test_cli_runner().invoke(args=["users", "create", "--email", address, "--role", "csr"],
                                          input=PASSWORD + "\n")
    assert result.exit_code != 0 and why in result.output
    assert _users_with(db_session, "pat") == 0


@pytest.mark.parametrize("address, why", POISON[:5])
def test_the_admin_page_refuses_the_address(client, db_session, address, why):
    admin = make_user(db_session, "admin")
    login(client, admin.email)
    response = post_form(client, "/admin/users", {"email": address, "role": "csr", "password": PASSWORD})
    _assert_refused(response, address, why, "email")
    assert _users_with(db_session, "pat") == 0


@pytest.mark.parametrize("address, why", POISON[:5])
def test_an_application_for_a_customer_refuses_the_address(client, db_session, address, why):
    csr = make_user(db_session, "csr")
    customer = make_user(db_session, email="pat@example.com")
    link(db_session, customer, make_account(db_session))
    login(client, csr.email)
    page = post_form(client, "/apply", {"applicant_email": address, "account_number": "T1"}, token_from="/apply")
    _assert_refused(page, address, why, "applicant_email")
    api = client.post("/api/v1/applications", json={"applicant_email": address, "account_number": "T1",
                                                    "programs": ["X"]},
                      headers={"X-CSRFToken": csrf_token(client)})
    assert api.status_code in ((400,) if "\x00" in address else (422,))
    assert "applicant_email" in api.json["error"]["fields"]
