"""API conventions: the OpenAPI document, dollars in, cents out, one error shape."""
from __future__ import annotations

import pytest
from marshmallow import ValidationError

from core.schemas import BaseSchema, Dollars


class _Amount(BaseSchema):
    amount = Dollars(required=True)


def test_the_openapi_document_describes_the_api(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"].startswith("3.")
    assert "/auth/login" in spec["paths"] and "post" in spec["paths"]["/auth/login"]
    login_op = spec["paths"]["/auth/login"]["post"]
    assert "requestBody" in login_op and "401" in login_op["responses"]
    assert "Error" in spec["components"]["schemas"]
    assert spec["paths"]["/auth/me"]["get"]["security"] == [{"bearer": []}]


def test_the_openapi_document_gives_the_customer_shape_of_an_application(client):
    spec = client.get("/api/v1/openapi.json").json
    customer = spec["components"]["schemas"]["CustomerApplicationOut"]["properties"]
    assert {"number", "status", "documents", "version"} <= set(customer)
    assert not {"flags", "assigned_to"} & set(customer)
    for path, method in (("/applications/{id}", "get"), ("/applications", "post"),
                         ("/applications/{id}/submit", "post")):
        shapes = spec["paths"][path][method]["responses"]
        shape = next(iter(r for status, r in shapes.items() if status.startswith("2")))
        refs = [s["$ref"].rsplit("/", 1)[1] for s in shape["content"]["application/json"]["schema"]["anyOf"]]
        assert refs == ["ApplicationOut", "CustomerApplicationOut"], path


def test_the_health_endpoint_reports_the_database(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json["database"] == "ok"


@pytest.mark.parametrize("value, cents", [("84.17", 8417), ("0.5", 50), ("12", 1200)])
def test_dollars_arrive_as_decimal_strings(value, cents):
    assert _Amount().load({"amount": value}) == {"amount": cents}


@pytest.mark.parametrize("value", [84.17, 84, "84.171", "$84", "-1.00", None])
def test_other_money_shapes_are_refused(value):
    with pytest.raises(ValidationError):
        _Amount().load({"amount": value})


def test_malformed_json_is_400_and_invalid_fields_are_422(client):
    response = client.post("/api/v1/auth/login", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"
    response = client.post("/api/v1/auth/login", json={"email": "a@example.com"})
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"password": ["Missing data for required field."]}
    response = client.post("/api/v1/auth/login", json={"email": "a@example.com", "password": "x", "extra": 1})
    assert response.status_code == 422 and "extra" in response.json["error"]["fields"]
