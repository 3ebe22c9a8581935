"""A Spanish customer orders free supplies on a phone-sized screen; axe clean on every page."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def customer(live_app):
    from core.audit import Actor, acting_as
    from core.database import db
    from tests.conftest import PASSWORD
    from tests.factories import link, make_account, make_user
    from tests.rebates.supply_helpers import item, load

    with live_app.app_context():
        acting_as(Actor(label="test"))
        session = db.session()
        from rebates.supply_models import SupplyItem

        if session.query(SupplyItem).filter_by(code="BROWSER-TABS").first() is None:
            load(session, item("BROWSER-TABS", stock=50, quantity=2, months=12))
        user = make_user(session, language="es")
        link(session, user, make_account(session, zip_code="94577"))
        session.commit()
        return user.email, PASSWORD


def test_a_spanish_customer_orders_supplies_at_390_px(live_server, new_page, customer):
    email, password = customer
    page = new_page(locale="es-ES")
    sign_in(page, live_server, email, password, language="es")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server + "/supplies")
    expect(page.locator("h1")).to_have_text("Suministros gratuitos para ahorrar agua")
    assert_accessible(page)
    page.locator("#qty-BROWSER-TABS").fill("3")
    page.get_by_role("button", name="Pedir artículos gratuitos").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert_accessible(page)   # the limit, tied to its field
    page.locator("#qty-BROWSER-TABS").fill("2")
    page.get_by_role("button", name="Pedir artículos gratuitos").click()
    expect(page.get_by_text("Se lo enviaremos por correo a su hogar.")).to_be_visible()
    expect(page.locator("table")).to_contain_text("en preparación")
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_staff_order_at_the_counter_pack_and_print_a_batch(live_server, new_page, make_staff, customer, live_app):
    email, password = make_staff("csr")
    page = new_page()
    sign_in(page, live_server, email, password)
    page.goto(live_server + "/staff/supplies")
    expect(page.locator("h1")).to_have_text("Free supplies")
    assert_accessible(page)
    from core.database import db
    from tests import factories

    with live_app.app_context():
        number = factories.make_account(db.session(), zip_code="94105").number
        db.session.commit()
    page.goto(live_server + f"/staff/supplies/orders/new?account={number}")
    assert_accessible(page)
    page.locator("#qty-BROWSER-TABS").fill("1")
    page.get_by_role("button", name="Place the order").click()
    expect(page.get_by_text("placed.")).to_be_visible()
    assert_accessible(page)
    page.goto(live_server + "/staff/supplies")
    page.get_by_role("button", name="Pack the waiting orders into a batch").click()
    expect(page.get_by_role("heading", name="Address labels")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Mark this batch shipped").click()
    expect(page.get_by_text("marked shipped")).to_be_visible()
    assert_accessible(page)
