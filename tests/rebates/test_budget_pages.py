"""`rebates budget`, GET /api/v1/rebates/budgets and the managers' budgets page."""
from __future__ import annotations

import json
from datetime import date

import pytest

from core.audit import Actor, acting_as
from rebates import budgets
from tests.conftest import login, post_form
from tests.factories import api_headers, make_user
from tests.rebates.helpers import make_application, make_program


@pytest.fixture
def program(app, db_session):
    acting_as(Actor(label="test"))
    return make_program(db_session)


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["rebates", "budget", *args])


def test_the_command_sets_then_raises_and_refuses_a_lower_figure(app, db_session, program):
    result = _cli(app, "--program", "TEST-WATER", "--fiscal-year", "2027", "--amount", "50000", "--reason", "board")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"program": "TEST-WATER", "fiscal_year": 2027, "amount_cents": 5_000_000,
                                         "available_cents": 5_000_000, "changed": True, "offered": []}
    assert json.loads(_cli(app, "--program", "TEST-WATER", "--fiscal-year", "2027", "--amount", "60000.00")
                      .stdout)["amount_cents"] == 6_000_000
    lower = _cli(app, "--program", "TEST-WATER", "--fiscal-year", "2027", "--amount", "100")
    assert lower.exit_code == 2
    assert "only be raised" in lower.output and "$60,000.00" in lower.output
    assert _cli(app, "--program", "TEST-WATER", "--fiscal-year", "2027", "--amount", "ten").exit_code == 2
    assert "No such" in _cli(app, "--program", "NOPE", "--fiscal-year", "2027", "--amount", "1").output


def test_the_api_lists_the_figures_for_staff_only(app, client, db_session, program):
    budgets.set_budget(db_session, program, 2027, 10_000)
    first, second = make_application(db_session), make_application(db_session)
    budgets.hold(db_session, first.id, program, date(2026, 8, 1), 7_000)
    budgets.hold(db_session, second.id, program, date(2026, 8, 1), 7_000)
    budgets.commit(db_session, first.id, 6_000)     # 1,000 back: not enough for the second
    budgets.pay(db_session, first.id, 2_000)
    csr = make_user(db_session, "csr")
    db_session.commit = db_session.flush  # noqa: the test transaction is rolled back afterwards
    response = client.get("/api/v1/rebates/budgets", headers=api_headers(app, csr))
    assert response.status_code == 200
    assert response.json == {"budgets": [{"program": "TEST-WATER", "fiscal_year": 2027, "amount_cents": 10_000,
                                          "held_cents": 0, "committed_cents": 4_000, "paid_cents": 2_000,
                                          "available_cents": 4_000, "waitlisted": 1}]}
    customer = make_user(db_session, "customer")
    assert client.get("/api/v1/rebates/budgets", headers=api_headers(app, customer)).status_code in (403, 404)
    assert client.get("/api/v1/rebates/budgets").status_code == 401


def test_the_api_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/rebates/budgets"]["get"]
    assert "BudgetList" in json.dumps(operation)


def test_a_manager_sets_and_raises_on_the_page_and_sees_the_line(client, db_session, program):
    application = make_application(db_session)
    budgets.hold(db_session, application.id, program, date(2026, 8, 1), 5_000)   # no budget yet: it waits
    manager = make_user(db_session, "manager")
    login(client, manager.email)
    page = client.get("/staff/rebates/budgets").get_data(as_text=True)
    assert f"Application {application.id}: $50.00" in page
    response = post_form(client, "/staff/rebates/budgets", {"program": "TEST-WATER", "fiscal_year": "2027",
                                                            "amount": "40.00", "reason": "first"},
                         token_from="/staff/rebates/budgets", follow_redirects=True)
    assert "is now $40.00" in response.get_data(as_text=True)
    lower = post_form(client, "/staff/rebates/budgets", {"program": "TEST-WATER", "fiscal_year": "2027",
                                                         "amount": "10.00"}, token_from="/staff/rebates/budgets")
    assert lower.status_code == 422
    text = lower.get_data(as_text=True)
    assert 'id="amount-error-1"' in text and "only be raised" in text
    raised = post_form(client, "/staff/rebates/budgets", {"program": "TEST-WATER", "fiscal_year": "2027",
                                                          "amount": "100.00"}, token_from="/staff/rebates/budgets",
                       follow_redirects=True).get_data(as_text=True)
    assert "is now $100.00" in raised and f"Application {application.id}:" not in raised   # taken off the line
    bad = post_form(client, "/staff/rebates/budgets", {"program": "TEST-WATER", "fiscal_year": "next",
                                                       "amount": "x"}, token_from="/staff/rebates/budgets")
    assert bad.status_code == 422 and 'id="fiscal_year-error-1"' in bad.get_data(as_text=True)


def test_a_csr_sees_the_page_but_cannot_change_a_budget(client, db_session, program):
    csr = make_user(db_session, "csr")
    login(client, csr.email)
    page = client.get("/staff/rebates/budgets")
    assert page.status_code == 200 and "Set or raise a budget" not in page.get_data(as_text=True)
    token_page = "/staff/rebates/budgets"
    assert post_form(client, "/staff/rebates/budgets", {"program": "TEST-WATER", "fiscal_year": "2027",
                                                        "amount": "1"}, token_from=token_page).status_code == 403


def test_customers_cannot_see_budgets(client, db_session, program):
    login(client, make_user(db_session, "customer").email)
    assert client.get("/staff/rebates/budgets").status_code in (403, 404)


def test_the_page_in_spanish(client, db_session, program):
    budgets.set_budget(db_session, program, 2027, 10_000)
    manager = make_user(db_session, "manager", language="es")
    login(client, manager.email)
    page = client.get("/staff/rebates/budgets?lang=es").get_data(as_text=True)
    assert "Presupuestos de reembolsos" in page
