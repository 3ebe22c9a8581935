"""The rebate estimate on a phone-sized screen in Spanish, without JavaScript too; the managers' pages."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def example_program(live_app):
    from core.audit import Actor, acting_as
    from core.database import db
    from rebates import demo, service

    with live_app.app_context():
        acting_as(Actor(label="test"))
        if not any(p.code == "EXAMPLE-WATER" for p in service.list_programs(db.session)):
            demo.load(db.session, lambda *_: None, {})
            db.session.commit()


def _estimate(page, base):
    page.goto(base + "/rebates/estimate")
    expect(page.locator("h1")).to_have_text("Calcular mi reembolso")
    assert_accessible(page)
    page.locator("#device").select_option("EXAMPLE-WATER:TOILET")
    page.get_by_role("button", name="Siguiente").click()
    expect(page.locator("#quantity")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Ver mi reembolso").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert_accessible(page)  # errors tied to their fields
    page.locator("#quantity").fill("2")
    page.locator("#purchased_on").fill("2026-11-20")
    page.locator("#model").fill("ec 0800 w")
    page.locator("#attr-replaced_gpf").fill("3,5")
    page.locator("#price").fill("189.00")
    page.get_by_role("button", name="Ver mi reembolso").click()
    result = page.locator("#result")
    expect(result).to_contain_text("$189.00")
    expect(result).to_contain_text("Usted pagó $189.00, así que el reembolso es de $189.00.")
    assert_accessible(page)


def test_the_estimate_at_390_px_in_spanish(live_server, new_page, example_program):
    page = new_page(locale="es-ES")
    page.set_viewport_size({"width": 390, "height": 844})
    _estimate(page, live_server)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_estimate_without_javascript(live_server, browser, example_program):
    context = browser.new_context(java_script_enabled=False, locale="es-ES", viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(live_server + "/rebates/estimate")
        page.locator("#device").select_option("EXAMPLE-WATER:TURF")
        page.get_by_role("button", name="Siguiente").click()
        page.locator("#quantity").fill("1000")
        page.locator("#purchased_on").fill("2026-11-01")
        page.locator("#installed_on").fill("2026-11-20")
        page.locator("#price").fill("9000.00")
        page.get_by_role("button", name="Ver mi reembolso").click()
        expect(page.locator("#result")).to_contain_text("$3,000.00")
    finally:
        context.close()


def test_rebate_pages_are_accessible_to_a_manager(live_server, new_page, make_staff, example_program):
    email, password = make_staff("manager")
    page = new_page()
    sign_in(page, live_server, email, password)
    page.goto(live_server + "/staff/rebates")
    expect(page.locator("h1")).to_have_text("Rebate programs")
    assert_accessible(page)
    page.get_by_role("link", name="Example water-saving rebates").click()
    expect(page.get_by_role("heading", name="EXAMPLE-WATER.v2: Spring 2026 promotion")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Make a new version").click()
    assert_accessible(page)
    page.goto(live_server + "/staff/rebates/products")
    assert_accessible(page)
    page.get_by_role("link", name="WATERSENSE-TOILETS").first.click()
    expect(page.locator("h1")).to_have_text("WATERSENSE-TOILETS")
    assert_accessible(page)


def test_budget_and_w9_pages_are_accessible(live_server, new_page, make_staff, example_program):
    email, password = make_staff("manager")
    page = new_page()
    sign_in(page, live_server, email, password)
    page.goto(live_server + "/staff/rebates/budgets")
    expect(page.locator("h1")).to_have_text("Rebate budgets")
    assert_accessible(page)
    page.locator("#program").select_option("EXAMPLE-WATER")
    page.locator("#fiscal_year").fill("2031")
    page.locator("#amount").fill("250000.00")
    page.locator("#reason").fill("board approval")
    page.get_by_role("button", name="Save the budget").click()
    expect(page.get_by_text("The FY2031 budget of EXAMPLE-WATER is now $250,000.00.")).to_be_visible()
    assert_accessible(page)
    page.locator("#program").select_option("EXAMPLE-WATER")
    page.locator("#fiscal_year").fill("2031")
    page.locator("#amount").fill("100.00")
    page.get_by_role("button", name="Save the budget").click()
    expect(page.locator("#amount-error-1")).to_contain_text("only be raised")
    assert_accessible(page)
    page.goto(live_server + "/staff/rebates/w9")
    expect(page.locator("h1")).to_have_text("Record a W-9")
    page.get_by_role("button", name="Record the W-9").click()
    expect(page.locator("#email-error-1")).to_be_visible()
    assert_accessible(page)
