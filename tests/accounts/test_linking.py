"""Customers prove they hold an account; nobody sees an account that is not theirs."""
from __future__ import annotations

import pytest

from tests.conftest import login, post_form
from tests.factories import link, make_account, make_user


def _api_token(client, user):
    from tests.conftest import PASSWORD

    return client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}).json["token"]


def test_a_customer_links_an_account_on_the_page(client, db_session):
    account = make_account(db_session, zip_code="94501", last_bill_cents=8417)
    user = make_user(db_session)
    login(client, user.email)
    response = post_form(client, "/accounts", {"account_number": account.number, "zip": "94501-1234",
                                               "last_bill_amount": "84.17"})
    assert response.status_code == 302 and response.location == f"/accounts/{account.number}"
    assert account.number in client.get("/accounts").get_data(as_text=True)


def test_a_customer_links_an_account_through_the_api(client, db_session):
    account = make_account(db_session, zip_code="98118", last_bill_cents=12000)
    user = make_user(db_session)
    headers = {"Authorization": f"Bearer {_api_token(client, user)}"}
    response = client.post("/api/v1/accounts/link", headers=headers,
                           json={"account_number": account.number, "zip": "98118", "last_bill_amount": "120.00"})
    assert response.status_code == 200
    assert response.json["account_number"] == account.number
    assert response.json["last_bill_amount_cents"] == 12000
    assert client.get("/api/v1/accounts", headers=headers).json["accounts"][0]["account_number"] == account.number


@pytest.mark.parametrize("change", ["zip", "amount", "number"])
def test_wrong_proof_gets_one_message_that_does_not_say_what_was_wrong(client, db_session, change):
    account = make_account(db_session, zip_code="94501", last_bill_cents=8417)
    user = make_user(db_session)
    headers = {"Authorization": f"Bearer {_api_token(client, user)}"}
    body = {"account_number": account.number, "zip": "94501", "last_bill_amount": "84.17"}
    body.update({"zip": {"zip": "94502"}, "amount": {"last_bill_amount": "84.18"},
                 "number": {"account_number": "NOSUCH1"}}[change])
    response = client.post("/api/v1/accounts/link", headers=headers, json=body)
    assert response.status_code == 422
    assert response.json["error"]["message"] == ("We could not match those details to an account. Check them "
                                                 "against your latest bill and try again.")
    assert response.json["error"]["fields"] == {}


def test_linking_attempts_are_rate_limited(client, db_session):
    account = make_account(db_session)
    user = make_user(db_session)
    headers = {"Authorization": f"Bearer {_api_token(client, user)}"}
    wrong = {"account_number": account.number, "zip": "00000", "last_bill_amount": "1.00"}
    codes = [client.post("/api/v1/accounts/link", headers=headers, json=wrong).status_code for _ in range(10)]
    assert codes == [422] * 10
    right = {"account_number": account.number, "zip": "94501", "last_bill_amount": "84.17"}
    response = client.post("/api/v1/accounts/link", headers=headers, json=right)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0


def test_a_customer_cannot_see_another_customers_account(client, db_session):
    mine, theirs = make_account(db_session), make_account(db_session)
    me = make_user(db_session)
    link(db_session, me, mine)
    login(client, me.email)
    assert client.get(f"/accounts/{mine.number}").status_code == 200
    assert client.get(f"/accounts/{theirs.number}").status_code == 404
    assert client.get(f"/api/v1/accounts/{theirs.number}").status_code == 404
    assert client.get(f"/api/v1/accounts/{theirs.number}/credits").status_code == 404
    assert client.get("/api/v1/accounts/NO-SUCH-ONE").status_code == 404
    assert client.get(f"/staff/accounts/{theirs.number}").status_code == 403
    headers = {"Authorization": f"Bearer {_api_token(client.application.test_client(), me)}"}
    api = client.application.test_client()
    assert api.get(f"/api/v1/accounts/{theirs.number}", headers=headers).status_code == 404
    assert api.get(f"/api/v1/accounts/{mine.number}", headers=headers).status_code == 200


def test_staff_see_any_account_and_link_on_a_customers_behalf(client, db_session):
    account = make_account(db_session)
    customer = make_user(db_session)
    csr = make_user(db_session, "csr")
    login(client, csr.email)
    assert client.get(f"/api/v1/accounts/{account.number}").json["account_number"] == account.number
    response = post_form(client, f"/staff/accounts/{account.number}/link",
                         {"email": customer.email, "reason": "customer at the counter showed a bill and ID"})
    assert response.status_code == 302
    from accounts import service

    assert service.is_linked(db_session, customer.id, account.id)
