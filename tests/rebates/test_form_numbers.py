"""Garbage in a number field of a rebates page is a 4xx naming the field, never a 500."""
from __future__ import annotations

import pytest

from core.audit import Actor, acting_as
from rebates import inspections, supplies
from tests.conftest import login, post_form
from tests.factories import link, make_account, make_user
from tests.rebates.helpers import make_program
from tests.rebates.supply_helpers import item, load
from tests.rebates.test_inspections import TODAY, make_application

GARBAGE = ["²", "٣", "99999999999999999999", "-1", "7.5", "next"]


@pytest.mark.parametrize("value", GARBAGE)
def test_a_budget_year_that_is_no_year_is_named(client, db_session, value):
    acting_as(Actor(label="test"))
    make_program(db_session)
    login(client, make_user(db_session, "manager").email)
    response = post_form(client, "/staff/rebates/budgets", {"program": "TEST-WATER", "fiscal_year": value,
                                                            "amount": "40.00", "reason": "r"},
                         token_from="/staff/rebates/budgets")
    assert response.status_code == 422 and 'id="fiscal_year-error-1"' in response.get_data(as_text=True)


@pytest.fixture
def stocked(db_session):
    load(db_session, item("KIT", stock=3, quantity=1))
    customer = make_user(db_session)
    account = make_account(db_session)
    link(db_session, customer, account)
    return customer, account


@pytest.mark.parametrize("value", GARBAGE)
def test_a_supply_quantity_that_is_no_number_is_named(client, db_session, stocked, value):
    customer, account = stocked
    login(client, customer.email)
    response = post_form(client, "/supplies", {"account": account.number, "qty-KIT": value}, token_from="/supplies")
    assert response.status_code == 422 and 'id="qty-KIT-error-1"' in response.get_data(as_text=True)
    assert supplies.orders_of(db_session, [account]) == []


@pytest.mark.parametrize("value", GARBAGE)
def test_a_stock_quantity_that_is_no_number_is_named_and_changes_nothing(client, db_session, stocked, value):
    login(client, make_user(db_session, "manager").email)
    response = post_form(client, "/staff/supplies/KIT/stock", {"action": "receive", "quantity": value, "reason": "PO"},
                         token_from="/staff/supplies", follow_redirects=True)
    assert response.status_code == 200 and "quantity: Give a whole number" in response.get_data(as_text=True)
    assert supplies.get_item(db_session, "KIT").stock == 3


@pytest.mark.parametrize("value", ["²", "99999999999999999999", "x"])
def test_an_inspection_result_with_a_broken_version_is_named(client, db_session, clock, value):
    clock.freeze(TODAY)
    customer = make_user(db_session, "customer")
    inspection = inspections.request_inspection(db_session, make_application(db_session, customer).id, "claim",
                                                "post", "always")
    login(client, make_user(db_session, "csr").email)
    page = f"/staff/inspections/{inspection.id}"
    response = post_form(client, page, {"version": value, "result": "pass", "findings": "ok"}, token_from=page)
    assert response.status_code == 422 and "version" in response.get_data(as_text=True)
    db_session.refresh(inspection)
    assert inspection.result is None
