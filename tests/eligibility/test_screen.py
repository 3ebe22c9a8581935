"""The public screener, page and API: every open program, likely yes or no, why, nothing kept."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from core.audit import AuditRecord
from tests.conftest import post_form

MARCH_2026 = datetime(2026, 3, 10, 18, 0, tzinfo=timezone.utc)


@pytest.fixture
def march(clock):
    clock.freeze(MARCH_2026)
    return clock


def _family(income="3000.00", frequency="monthly"):
    return {"members": [{"age": 38, "relationship": "self", "incomes": [{"kind": "wages", "amount": income,
                                                                         "frequency": frequency}]},
                        {"age": 36, "incomes": []}, {"age": 9, "incomes": []}]}


def test_the_api_answers_for_every_program_offered_at_the_zip(client, march):
    response = client.post("/api/v1/eligibility/screen", json={"zip": "98118", "household": _family()})
    assert response.status_code == 200
    body = response.get_json()
    by_code = {p["program"]: p for p in body["programs"]}
    assert set(by_code) == {"SEATTLE-UDP"}  # the California programs are not offered in Seattle
    seattle = by_code["SEATTLE-UDP"]
    assert seattle["eligible"] is True and seattle["limit_cents"] == 8_274_000 and seattle["income_cents"] == 3_600_000
    assert seattle["rule_version"] == "SEATTLE-UDP.v1" and seattle["reasons"] == []
    assert seattle["explanation"].startswith("The adults in your household of 3 earn $36,000 a year.")
    los_angeles = client.post("/api/v1/eligibility/screen", json={"zip": "90012", "household": _family()}).get_json()
    by_code = {p["program"]: p for p in los_angeles["programs"]}
    assert set(by_code) == {"CARE", "FERA", "EZSAVE", "LIHEAP-CA"}
    fera = by_code["FERA"]
    assert fera["eligible"] is False and fera["reasons"] == ["below_income_floor"]
    for program in body["programs"] + los_angeles["programs"]:
        assert set(program) >= {"program", "eligible", "tier", "limit_cents", "income_cents", "rule_version",
                                "reasons", "explanation"}
        assert isinstance(program["eligible"], bool)


def test_the_api_uses_the_day_it_is_given(client, march):
    body = client.post("/api/v1/eligibility/screen",
                       json={"zip": "94501", "on": "2025-06-01", "household": _family()}).get_json()
    by_code = {p["program"]: p for p in body["programs"]}
    assert by_code["CARE"]["rule_version"] == "CARE.v2" and "SEATTLE-UDP" not in by_code


def test_the_api_takes_categorical_enrollments_and_empty_incomes(client, march):
    body = client.post("/api/v1/eligibility/screen",
                       json={"zip": "90012", "categorical": ["MEDICAID"],
                             "household": {"members": [{"age": 70, "incomes": []}]}}).get_json()
    care = next(p for p in body["programs"] if p["program"] == "CARE")
    assert care["eligible"] is True and "Medicaid (Medi-Cal)" in care["explanation"]


@pytest.mark.parametrize("payload, field", [
    ({"zip": "9811", "household": {"members": [{"age": 30}]}}, "zip"),
    ({"zip": "98118", "household": {"members": []}}, "household.members"),
    ({"zip": "98118", "household": {"members": [{"age": 30, "incomes": [{"kind": "wages", "amount": "12.345",
                                                                         "frequency": "monthly"}]}]}},
     "household.members.0.incomes.0.amount"),
    ({"zip": "98118", "household": {"members": [{"age": 30, "incomes": [{"kind": "gift", "amount": "1",
                                                                         "frequency": "monthly"}]}]}},
     "household.members.0.incomes.0.kind"),
    ({"zip": "98118", "categorical": ["FOOD"], "household": {"members": [{"age": 30}]}}, "categorical.0"),
])
def test_the_api_names_the_field_that_is_wrong(client, march, payload, field):
    response = client.post("/api/v1/eligibility/screen", json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_the_screener_page_works_without_javascript_and_keeps_nothing(client, db_session, march):
    audit_before = db_session.scalar(select(func.count()).select_from(AuditRecord))
    page = client.get("/screen")
    assert page.status_code == 200 and "Could I qualify?" in page.get_data(as_text=True)
    response = post_form(client, "/screen", {"zip": "98118", "rows": "4", "age-0": "38", "amount-0": "3000",
                                             "frequency-0": "monthly", "kind-0": "wages", "age-1": "9",
                                             "action": "check"}, token_from="/screen")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Seattle Utility Discount Program" in body and "likely yes" in body
    assert "The adults in your household of 2 earn $36,000 a year." in body
    assert db_session.scalar(select(func.count()).select_from(AuditRecord)) == audit_before


def test_the_screener_ties_errors_to_their_fields(client, march):
    response = post_form(client, "/screen", {"zip": "98", "rows": "4", "age-0": "", "amount-1": "lots",
                                             "age-1": "40", "action": "check"}, token_from="/screen")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#zip"' in body and 'id="zip-error-1"' in body
    assert 'href="#amount-1"' in body and 'aria-describedby="amount-1-error-1"' in body
    assert 'value="lots"' in body  # what was typed stays


def test_the_screener_adds_rows_without_javascript(client, march):
    response = post_form(client, "/screen", {"zip": "98118", "rows": "4", "age-0": "38", "action": "add"},
                         token_from="/screen")
    body = response.get_data(as_text=True)
    assert 'id="age-5"' in body and 'id="age-6"' not in body and 'value="38"' in body


def test_the_screener_speaks_spanish(client, march):
    post_form(client, "/language", {"language": "es", "next": "/screen"})
    response = post_form(client, "/screen", {"zip": "90012", "rows": "4", "age-0": "70", "amount-0": "1500",
                                             "frequency-0": "monthly", "action": "check"}, token_from="/screen")
    body = response.get_data(as_text=True)
    assert "¿Podría calificar?" in body
    assert "Su hogar de 1 persona gana $18,000 al año." in body
    assert "Tarifas Alternativas de California para Energía (CARE)" in body


def test_a_program_switched_off_is_not_offered(client, db_session, march):
    from eligibility import service

    service.set_enabled(db_session, service.get_program(db_session, "FERA"), False, "we do not run FERA")
    body = client.post("/api/v1/eligibility/screen", json={"zip": "94501", "household": _family()}).get_json()
    assert "FERA" not in {p["program"] for p in body["programs"]}
