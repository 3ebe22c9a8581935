"""The estimate page for anyone, and the managers' rebate pages (read-only rules, new versions, lists)."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from core.audit import Actor, acting_as
from rebates import service
from tests.conftest import login, post_form
from tests.factories import api_headers, link, make_account, make_enrollment, make_user

DEVICE = "EXAMPLE-WATER:TOILET"
FORM = {"device": DEVICE, "quantity": "2", "purchased_on": "2026-11-20", "model": "EC-0800-W", "price": "189.00",
        "tax": "15.00", "attr-replaced_gpf": "3.5"}


@pytest.fixture
def example(app, db_session):
    from rebates import demo

    acting_as(Actor(label="test"))
    demo.load(db_session, lambda *_: None, {})
    return service.get_program(db_session, "EXAMPLE-WATER")


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_anyone_picks_a_device_then_sees_the_fields_it_needs(client, example):
    page = text_of(client.get("/rebates/estimate"))
    assert "Estimate my rebate" in page and "High-efficiency toilet (Example water-saving rebates)" in page
    page = text_of(client.get(f"/rebates/estimate?device={DEVICE}"))
    for label in ('for="quantity"', 'for="purchased_on"', 'for="model"', 'for="attr-replaced_gpf"', 'for="price"'):
        assert label in page
    # Each attribute is asked for in words, not by its code in the definitions.
    assert "Gallons per flush of the toilet it replaced" in page and ">replaced_gpf<" not in page
    spanish = text_of(client.get(f"/rebates/estimate?device={DEVICE}", headers={"Accept-Language": "es"}))
    assert "Galones por descarga del inodoro que reemplazó" in spanish


def test_a_customer_finds_the_estimate_on_their_home_page(client, db_session, example):
    customer = make_user(db_session, "customer")
    login(client, customer.email)
    home = text_of(client.get("/"))
    assert 'href="/rebates/estimate">Estimate my rebate</a>' in home
    assert home.count('href="/rebates/estimate"') == 1  # not in the header, which has no room left
    assert home.count('href="/supplies"') == 1 and "Free water-saving supplies</a>" in home


def test_anyone_gets_the_amount_and_why_without_javascript(client, example):
    response = post_form(client, "/rebates/estimate", FORM, token_from=f"/rebates/estimate?device={DEVICE}")
    page = text_of(response)
    assert response.status_code == 200
    assert "$189.00" in page and "You paid $189.00 before tax, so the rebate is $189.00." in page


def test_the_estimate_in_spanish(client, example):
    response = post_form(client, "/rebates/estimate", FORM, token_from=f"/rebates/estimate?device={DEVICE}",
                         headers={"Accept-Language": "es"})
    assert "así que el reembolso es de $189.00." in text_of(response)


def test_errors_are_tied_to_their_fields(client, example):
    response = post_form(client, "/rebates/estimate", dict(FORM, quantity="two", purchased_on="", price="lots"),
                         token_from=f"/rebates/estimate?device={DEVICE}")
    page = text_of(response)
    assert response.status_code == 422
    assert 'id="quantity-error-1"' in page and 'aria-describedby="quantity-error-1"' in page
    assert 'id="purchased_on-error-1"' in page and 'id="price-error-1"' in page


def test_a_signed_in_customer_gets_their_home_and_enrollments(client, db_session, example):
    user = make_user(db_session)
    account = make_account(db_session)
    link(db_session, user, account)
    make_enrollment(db_session, account=account, applicant=user, program="CARE", certified_from=date(2026, 1, 1))
    login(client, user.email)
    form = dict(FORM, account=account.number, price="900.00")
    page = text_of(post_form(client, "/rebates/estimate", form, token_from=f"/rebates/estimate?device={DEVICE}"))
    assert "$600.00" in page and "enrolled in CARE" in page
    # Without choosing the account, the regular amount.
    page = text_of(post_form(client, "/rebates/estimate", dict(FORM, price="900.00"),
                             token_from=f"/rebates/estimate?device={DEVICE}"))
    assert "$400.00" in page


def test_another_customers_account_counts_for_nothing(client, db_session, example):
    owner = make_user(db_session)
    account = make_account(db_session)
    link(db_session, owner, account)
    make_enrollment(db_session, account=account, applicant=owner, program="CARE", certified_from=date(2026, 1, 1))
    login(client, make_user(db_session).email)
    page = text_of(post_form(client, "/rebates/estimate", dict(FORM, account=account.number, price="900.00"),
                             token_from=f"/rebates/estimate?device={DEVICE}"))
    assert "$400.00" in page and "$600.00" not in page


# --- managers -----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/staff/rebates", "/staff/rebates/programs/EXAMPLE-WATER", "/staff/rebates/products",
                                  "/staff/rebates/products/WATERSENSE-TOILETS",
                                  "/staff/rebates/programs/EXAMPLE-WATER/versions/new"])
def test_customers_cannot_see_the_staff_pages(client, db_session, example, path):
    login(client, make_user(db_session).email)
    assert client.get(path).status_code in (403, 404)


def test_staff_see_measures_amounts_caps_limits_and_sources(client, db_session, example):
    login(client, make_user(db_session, "csr").email)
    page = text_of(client.get("/staff/rebates/programs/EXAMPLE-WATER"))
    assert "EXAMPLE-WATER.v2: Spring 2026 promotion" in page
    assert "gpf ≤ 0.8: $200.00" in page and "2 per home, in 10 years" in page
    assert "$150.00 per home, lifetime" not in page and "$15,000.00 per home, lifetime" in page
    assert "SoCal Water$mart" in page and "at most the cost" in page
    assert "Make a new version" not in page          # CSRs read, managers change
    assert "/staff/rebates/programs/EXAMPLE-WATER" in text_of(client.get("/staff/rebates"))
    lists = text_of(client.get("/staff/rebates/products"))
    assert "WATERSENSE-TOILETS" in lists
    assert "EC-0800-W" in text_of(client.get("/staff/rebates/products/WATERSENSE-TOILETS"))


def _version_form(client, **changes):
    page = client.get("/staff/rebates/programs/EXAMPLE-WATER/versions/new").get_data(as_text=True)
    import html

    measures = html.unescape(re.search(r'<textarea[^>]*name="measures"[^>]*>(.*?)</textarea>', page, re.S).group(1))
    form = {"label": "2027 rebates", "effective_from": "", "effective_to": "", "source": "board decision 2026-11",
            "note": "Turf goes to $4", "measures": measures}
    form.update(changes)
    return form


def test_a_new_version_from_the_current_one(client, db_session, example, clock):
    login(client, make_user(db_session, "manager").email)
    start = (clock.today() + timedelta(days=30)).isoformat()
    form = _version_form(client, effective_from=start)
    form["measures"] = form["measures"].replace('"amount": "3.00"', '"amount": "4.00"')
    response = post_form(client, "/staff/rebates/programs/EXAMPLE-WATER/versions/new", form,
                         token_from="/staff/rebates/programs/EXAMPLE-WATER/versions/new")
    assert response.status_code == 302, re.search(r"usa-alert__body.*?</ul>", text_of(response)).group(0)
    page = text_of(client.get("/staff/rebates/programs/EXAMPLE-WATER"))
    assert "EXAMPLE-WATER.v4: 2027 rebates" in page


def test_a_version_starting_in_the_past_is_refused_on_the_page(client, db_session, example, clock):
    login(client, make_user(db_session, "manager").email)
    form = _version_form(client, effective_from=(clock.today() - timedelta(days=1)).isoformat())
    response = post_form(client, "/staff/rebates/programs/EXAMPLE-WATER/versions/new", form,
                         token_from="/staff/rebates/programs/EXAMPLE-WATER/versions/new")
    assert response.status_code == 422
    assert 'id="effective_from-error-1"' in text_of(response) and "cannot start in the past" in text_of(response)


def test_a_bad_measure_is_named_on_the_page(client, db_session, example, clock):
    login(client, make_user(db_session, "manager").email)
    form = _version_form(client, effective_from=(clock.today() + timedelta(days=3)).isoformat())
    form["measures"] = form["measures"].replace('"per_unit"', '"per_banana"', 1)
    response = post_form(client, "/staff/rebates/programs/EXAMPLE-WATER/versions/new", form,
                         token_from="/staff/rebates/programs/EXAMPLE-WATER/versions/new")
    assert response.status_code == 422 and 'unknown kind &#34;per_banana&#34;' in response.get_data(as_text=True)


def test_a_version_starting_in_the_past_is_refused_by_the_api(app, client, db_session, example, clock):
    manager = make_user(db_session, "manager")
    headers = api_headers(app, manager)
    measures = service.current_version(example, clock.today()).measures
    body = {"label": "x", "effective_from": (clock.today() - timedelta(days=1)).isoformat(), "source": "s",
            "note": "why", "measures": measures}
    response = client.post("/api/v1/rebates/programs/EXAMPLE-WATER/versions", json=body, headers=headers)
    assert response.status_code == 422 and "effective_from" in response.json["error"]["fields"]
    body["effective_from"] = (clock.today() + timedelta(days=10)).isoformat()
    response = client.post("/api/v1/rebates/programs/EXAMPLE-WATER/versions", json=body, headers=headers)
    assert response.status_code == 201 and response.json["rule_version"] == "EXAMPLE-WATER.v4"
    csr = client.post("/api/v1/rebates/programs/EXAMPLE-WATER/versions", json=body,
                      headers=api_headers(app, make_user(db_session, "csr")))
    assert csr.status_code == 403
