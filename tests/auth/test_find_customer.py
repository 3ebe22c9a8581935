"""Staff find a customer by email in one way everywhere (linking an account, applying for them)."""
from __future__ import annotations

import pytest

from core.errors import Invalid
from tests.factories import make_user


def test_a_customer_is_found_by_email_whatever_its_case(app, db_session):
    from auth import service

    customer = make_user(db_session, "customer", email="Rosa.Diaz@example.org".lower())
    with app.test_request_context("/"):
        assert service.find_customer(db_session, "  ROSA.DIAZ@example.org ") == customer


@pytest.mark.parametrize("role", ["csr", None])
def test_staff_and_unknown_addresses_are_not_customers_and_the_field_is_named(app, db_session, role):
    from auth import service

    email = make_user(db_session, role).email if role else "nobody@example.org"
    with app.test_request_context("/"), pytest.raises(Invalid) as refused:
        service.find_customer(db_session, email, field="applicant_email")
    assert refused.value.fields == {"applicant_email": ["No customer login has this email."]}


def test_a_bad_address_is_refused_by_the_field(app, db_session):
    from auth import service

    with app.test_request_context("/"), pytest.raises(Invalid) as refused:
        service.find_customer(db_session, "not an address")
    assert list(refused.value.fields) == ["email"]
