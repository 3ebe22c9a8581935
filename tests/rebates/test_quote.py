"""The quote: `rebates quote` and POST /api/v1/rebates/quote, and what a signed-in customer's home adds."""
from __future__ import annotations

import json

import pytest

from core.audit import Actor, acting_as
from eligibility.enrolled import enrolled_programs
from rebates import definitions, service
from tests.factories import api_headers, link, make_account, make_enrollment, make_user

TOILET = {"measure": "TOILET", "quantity": 2, "model": "EC-0800-W", "purchased_on": "2026-08-01", "price": "189.00",
          "tax": "15.00", "attributes": {"replaced_gpf": "3.5"}}


@pytest.fixture
def example(app, db_session, tmp_path):
    from rebates import demo

    acting_as(Actor(label="test"))
    demo.load(db_session, lambda *_: None, {})
    return service.get_program(db_session, "EXAMPLE-WATER")


def request(**extra):
    body = {"program": "EXAMPLE-WATER", "applied_on": "2026-08-20", "items": [dict(TOILET)]}
    body.update(extra)
    return body


def _cli(app, body):
    return app.test_cli_runner().invoke(args=["rebates", "quote"], input=body if isinstance(body, str) else json.dumps(body))


def test_the_command_prints_one_line_of_json(app, example):
    result = _cli(app, request())
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    answer = json.loads(lines[0])
    item = answer["items"][0]
    assert answer["amount_cents"] == 18900
    assert (item["counted_quantity"], item["eligible_cost_cents"], item["rule_version"], item["reasons"]) == \
        (2, 18900, "EXAMPLE-WATER.v3", [])
    assert "2 × High-efficiency toilet at $200.00 each would be $400.00." in item["explanation"]
    assert item["explanation"].endswith("You paid $189.00 before tax, so the rebate is $189.00.")


def test_the_command_explains_in_spanish(app, example):
    answer = json.loads(_cli(app, request(language="es")).stdout)
    assert "Inodoro de alta eficiencia" in answer["items"][0]["explanation"]
    assert "así que el reembolso es de $189.00." in answer["items"][0]["explanation"]


@pytest.mark.parametrize("body,message", [
    (request(program="HO-NOPE"), "program: no rebate program HO-NOPE"),
    (request(applied_on="2026-13-01"), "applied_on: "),
    (request(items=[dict(TOILET, price=12.5)]), "items.0.price: "),
    (request(items=[dict(TOILET, quantity="2")]), "items.0.quantity: "),
    (request(items=[]), "items: "),
    ({"program": "EXAMPLE-WATER", "items": [TOILET]}, "applied_on: "),
    (request(items=[dict(TOILET, attributes={"gpf": "low"})]), "items.0.attributes"),
    ("{not json", "request: not JSON"),
])
def test_a_bad_request_exits_2_with_one_line_naming_the_field(app, example, body, message):
    result = _cli(app, body)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith(message), result.stderr


def test_a_switched_off_program_is_not_quoted(app, db_session, example):
    service.set_enabled(db_session, example, False, "test")
    assert _cli(app, request()).stderr.startswith("program: rebate program EXAMPLE-WATER is switched off")


def test_the_api_answers_anyone_and_stores_nothing(client, example, db_session):
    from core.audit import AuditRecord
    from sqlalchemy import func, select

    before = db_session.scalar(select(func.count()).select_from(AuditRecord))
    response = client.post("/api/v1/rebates/quote", json=request(items=[dict(TOILET), dict(TOILET, quantity=1)]))
    assert response.status_code == 200, response.json
    assert [i["amount_cents"] for i in response.json["items"]] == [18900, 0]
    assert response.json["items"][1]["reasons"] == ["limit_reached"]
    assert db_session.scalar(select(func.count()).select_from(AuditRecord)) == before


def test_the_api_names_the_bad_field(client, example):
    response = client.post("/api/v1/rebates/quote", json=request(program="HO-NOPE"))
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"program": ["no rebate program HO-NOPE"]}
    response = client.post("/api/v1/rebates/quote", json=request(items=[dict(TOILET, purchased_on="yesterday")]))
    assert response.status_code == 422
    assert "items.0.purchased_on" in response.json["error"]["fields"]


def test_the_api_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/rebates/quote"]["post"]
    assert "anonymous" in operation["x-roles"] and "429" in operation["responses"]


def test_the_api_takes_the_page_language(client, example):
    response = client.post("/api/v1/rebates/quote", json=request(), headers={"Accept-Language": "es"})
    assert "así que el reembolso" in response.json["items"][0]["explanation"]


def test_the_api_is_rate_limited_like_the_screener(client, example):
    statuses = {client.post("/api/v1/rebates/quote", json=request(items=[dict(TOILET, quantity="x")])).status_code
                for _ in range(121)}
    assert 429 in statuses


# --- a signed-in customer's home --------------------------------------------------------------

def test_enrolled_programs_reads_current_enrollments(db_session):
    from datetime import date, timedelta

    user = make_user(db_session)
    account = make_account(db_session)
    link(db_session, user, account)
    enrollment = make_enrollment(db_session, account=account, applicant=user, program="CARE",
                                 certified_from=date(2026, 1, 1))
    assert enrolled_programs(db_session, account.id, date(2026, 8, 1)) == {"CARE"}
    assert enrolled_programs(db_session, account.id, date(2025, 12, 31)) == set()
    enrollment.status = "ended"
    enrollment.ended_on = date(2026, 3, 1)
    db_session.flush()
    assert enrolled_programs(db_session, account.id, date(2026, 8, 1)) == set()
    assert enrolled_programs(db_session, account.id + 1000, date(2026, 8, 1) + timedelta(days=1)) == set()


def test_a_customer_enrolled_in_care_gets_the_enhanced_amount(app, client, db_session, example):
    from datetime import date

    user = make_user(db_session)
    account = make_account(db_session)
    link(db_session, user, account)
    make_enrollment(db_session, account=account, applicant=user, program="CARE", certified_from=date(2026, 1, 1))
    headers = api_headers(app, user)
    body = request(account=account.number, items=[dict(TOILET, price="600.00")])
    response = client.post("/api/v1/rebates/quote", json=body, headers=headers)
    assert response.json["items"][0]["amount_cents"] == 60000            # 2 × $300, the enhanced amount
    assert "enrolled in CARE" in response.json["items"][0]["explanation"]
    anonymous = client.post("/api/v1/rebates/quote", json=body)
    assert anonymous.json["items"][0]["amount_cents"] == 40000


def test_another_customers_account_is_not_filled(app, client, db_session, example):
    from datetime import date

    owner = make_user(db_session)
    account = make_account(db_session)
    link(db_session, owner, account)
    make_enrollment(db_session, account=account, applicant=owner, program="CARE", certified_from=date(2026, 1, 1))
    stranger = make_user(db_session)
    body = request(account=account.number, items=[dict(TOILET, price="600.00")])
    response = client.post("/api/v1/rebates/quote", json=body, headers=api_headers(app, stranger))
    assert response.json["items"][0]["amount_cents"] == 40000


def test_fill_sets_the_premise_from_the_service_address(db_session, example):
    from datetime import date

    user = make_user(db_session)
    account = make_account(db_session, zip_code="94501-1234")
    data = {"account": account.number, "applied_on": date(2026, 8, 20), "enrolled_in": ["CARE"]}
    filled = service.fill_for_customer(db_session, example, data, user, [account])
    assert filled.account is account
    assert data["premise"] == "1234 PARK ST 94501"
    assert (data["customer"], data["enrolled_in"], data["history"]) == (str(user.id), [], [])


def test_the_same_address_written_two_ways_is_one_premise(db_session):
    a = make_account(db_session)
    b = make_account(db_session)
    b.service_address = "1234  park street."
    assert service.premise_of(a) == service.premise_of(b)


def test_the_demo_switches_the_example_on_and_a_reload_keeps_it(app, db_session, example, tmp_path):
    from tests.rebates.helpers import example_document, write

    assert example.example and example.enabled
    result = app.test_cli_runner().invoke(args=["rebates", "load", write(tmp_path, example_document())])
    assert '"versions_unchanged": 3' in result.stdout
    db_session.refresh(example)
    assert example.enabled
