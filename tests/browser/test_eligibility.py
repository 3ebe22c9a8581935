"""The screener in a real browser, with and without JavaScript; the program pages for a manager."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def _fill_household(page) -> None:
    page.locator("#zip").fill("98118")
    page.locator("#age-0").fill("38")
    page.locator("#amount-0").fill("3000")
    page.locator("#frequency-0").select_option("monthly")
    page.locator("#age-1").fill("9")


def test_a_visitor_screens_a_household_with_the_keyboard(live_server, new_page):
    page = new_page()
    page.goto(live_server + "/")
    page.get_by_role("link", name="Could I qualify?").first.click()
    expect(page.locator("h1")).to_have_text("Could I qualify?")
    assert_accessible(page)
    page.locator("#zip").fill("98")
    page.locator("#zip").press("Enter")
    expect(page.locator("#error-summary")).to_contain_text("Enter the 5-digit ZIP code of your home.")
    assert_accessible(page)  # errors tied to their fields
    _fill_household(page)
    page.get_by_role("button", name="See what I could get").click()
    results = page.locator("#results")
    expect(results).to_contain_text("Seattle Utility Discount Program")
    expect(results).to_contain_text("The adults in your household of 2 earn $36,000 a year.")
    assert_accessible(page)


def test_the_screener_works_without_javascript(live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server + "/screen")
        page.get_by_role("button", name="Add more people").click()
        expect(page.locator("#age-5")).to_be_visible()
        _fill_household(page)
        page.get_by_role("button", name="See what I could get").click()
        expect(page.locator("#results")).to_contain_text("likely yes")
    finally:
        context.close()


def test_program_pages_are_accessible_to_a_manager(live_server, new_page, make_staff):
    email, password = make_staff("manager")
    page = new_page()
    sign_in(page, live_server, email, password)
    page.get_by_role("link", name="Programs", exact=True).click()
    expect(page.locator("h1")).to_have_text("Programs")
    assert_accessible(page)
    page.get_by_role("link", name="CARE", exact=True).click()
    expect(page.get_by_role("heading", name="Versions")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Make a new version").click()
    page.get_by_role("button", name="Save the new version").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert_accessible(page)
