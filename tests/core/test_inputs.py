"""The input layer: bad values are refused with the field named, and 405s say what is allowed."""
from __future__ import annotations

import pytest

from tests.conftest import login
from tests.factories import make_user


def test_a_nul_character_in_json_is_refused_naming_the_field(client):
    response = client.post("/api/v1/eligibility/screen",
                           json={"zip": "94501\x00", "household": {"members": [{"age": 30, "name": "a\ud800"}]}})
    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) == {"zip", "household.members.0.name"}


def test_a_number_beyond_64_bits_in_json_is_refused_naming_the_field(client):
    response = client.post("/api/v1/eligibility/screen",
                           json={"zip": "94501", "household": {"members": [{"age": 10**30, "incomes": []}]}})
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["household.members.0.age"]


@pytest.mark.parametrize("url", ["/api/v1/applications/99999999999999999999999",
                                 "/api/v1/applications/9223372036854775808", "/api/v1/applications/%D9%A3",
                                 "/api/v1/accounts/a%00b"])
def test_ids_beyond_64_bits_and_odd_digits_are_no_such_page(client, db_session, url):
    from auth import service

    token = service.open_session(db_session, make_user(db_session, "csr"), kind="api")[1]
    response = client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404


@pytest.mark.parametrize("query, field", [({"page": "99999999999999999999"}, "page"), ({"page": "²"}, "page"),
                                          ({"page": "-1"}, "page"), ({"to": "a\x00b"}, "to")])
def test_a_bad_page_or_filter_names_the_field(client, db_session, query, field):
    login(client, make_user(db_session, "csr").email)
    response = client.get("/staff/outbox", query_string=query)
    assert response.status_code in (400, 422)
    assert field in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["²", "99999999999999999999", "-1"])
def test_the_queue_refuses_a_bad_day_count(client, db_session, value):
    from auth import service

    token = service.open_session(db_session, make_user(db_session, "csr"), kind="api")[1]
    response = client.get("/api/v1/review/queue", query_string={"older_than_days": value},
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["older_than_days"]


def test_a_refusal_without_a_message_is_a_403_not_a_500(app):
    from core.errors import Forbidden, NotFound

    with app.test_request_context("/"):
        assert Forbidden().message == "You are not allowed to do this." and Forbidden.status == 403
        assert NotFound().message == "We could not find that."


def test_405_answers_say_which_methods_are_allowed(client):
    response = client.put("/api/v1/health")
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= {"GET", "HEAD"}
    assert response.json["error"]["code"] == "method_not_allowed"
    response = client.delete("/login")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]


def test_the_openapi_document_declares_path_parameters_and_patterns(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == {part[1:-1] for part in path.split("/") if part.startswith("{")}, path
    (param,) = spec["paths"]["/applications/{id}"]["get"]["parameters"]
    assert param["schema"]["type"] == "integer" and param["schema"]["maximum"] == 2**63 - 1
    patterns = [prop.get("pattern") for schema in spec["components"]["schemas"].values()
                for prop in schema.get("properties", {}).values()]
    assert any(p and p.startswith("^-?\\d{1,12}") for p in patterns), "dollars declare their pattern"
    assert "^\\d{4}-\\d{2}-\\d{2}$" in patterns, "dates declare their pattern"


def test_a_date_before_the_year_1000_keeps_its_four_digit_year():
    """Found by the schema fuzzer: strftime wrote the year 540 as "540", which breaks the documented YYYY-MM-DD."""
    from datetime import date

    from marshmallow import Schema

    from core.schemas import IsoDate

    class OneDate(Schema):
        on = IsoDate()

    assert OneDate().dump({"on": date(540, 9, 5)}) == {"on": "0540-09-05"}
    assert OneDate().load({"on": "0540-09-05"}) == {"on": date(540, 9, 5)}
