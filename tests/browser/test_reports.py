"""The managers' dashboard in a browser: axe clean, each chart an image with a name, and its table
reachable from the keyboard and read as a table; the reports page likewise."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in

FOCUSED_REGION = "() => document.activeElement && document.activeElement.getAttribute('aria-labelledby')"


def _enrol(live_app, make_account):
    from datetime import timedelta

    from core import clock
    from core.database import db
    from tests import factories

    with live_app.app_context():
        session = db.session()
        customer = factories.make_user(session, "customer")
        for _ in range(3):
            account = factories.make_account(session)
            factories.make_enrollment(session, account=account, applicant=customer,
                                      certified_from=clock.today() - timedelta(days=40))
        session.commit()


def test_the_dashboard_is_accessible_and_its_chart_tables_are_reachable_by_keyboard(live_app, live_server, new_page,
                                                                                     make_staff, make_account):
    _enrol(live_app, make_account)
    email, password = make_staff("manager")
    page = new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, email, password)
    expect(page.locator("h1")).to_have_text("Dashboard")  # the managers' landing page
    assert_accessible(page)
    chart = page.get_by_role("img", name="Enrolled at the end of each month")
    expect(chart).to_be_visible()
    assert "The table after the chart gives the same figures." in chart.locator("desc").text_content()
    table = page.get_by_role("region", name="Enrolled at the end of each month this year")
    expect(table.get_by_role("table")).to_be_visible()
    expect(table.get_by_role("columnheader", name="Month")).to_be_visible()
    reached = set()
    for _ in range(120):  # Tab through the page: both charts' tables take the focus
        page.keyboard.press("Tab")
        reached.add(page.evaluate(FOCUSED_REGION))
        if {"months-table-caption", "pending-table-caption"} <= reached:
            break
    assert {"months-table-caption", "pending-table-caption"} <= reached
    page.keyboard.press("ArrowRight")  # a focused wide table scrolls from the keyboard
    page.get_by_role("link", name="Download this table (CSV)").first.focus()
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.startswith("dashboard-programs-")


def test_the_reports_page_is_accessible_with_a_finished_workbook(live_server, new_page, make_staff):
    email, password = make_staff("manager")
    page = new_page()
    sign_in(page, live_server, email, password)
    page.goto(live_server + "/staff/reports")
    assert_accessible(page)
    page.get_by_label("First day (YYYY-MM-DD)").fill("2026-01-01")
    page.get_by_label("Last day (YYYY-MM-DD)").fill("2026-06-30")
    page.get_by_role("button", name="Build the workbook").click()
    expect(page.get_by_role("link", name="Download (.xlsx)").first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Last day (YYYY-MM-DD)").fill("2025-06-30")
    page.get_by_role("button", name="Build the workbook").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert_accessible(page)
