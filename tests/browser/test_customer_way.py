"""A customer's way through in a real browser: from the screener, with two incomes, to an
application that starts with the household; the footer's pages; withdrawing with a confirmation."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def _customer_with_account(live_app, make_staff, make_account, zip_code: str) -> tuple[str, str, str]:
    from sqlalchemy import select

    from accounts.models import Account
    from auth.models import User
    from core.database import db
    from tests import factories

    number = make_account(zip_code=zip_code, city="Los Angeles")
    email, password = make_staff("customer")
    with live_app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        factories.link(db.session, user, db.session.scalar(select(Account).where(Account.number == number)))
        db.session.commit()
    return email, password, number


def test_from_the_screener_to_an_application_with_two_incomes(live_server, live_app, new_page, make_staff,
                                                               make_account):
    email, password, number = _customer_with_account(live_app, make_staff, make_account, "90012")
    page = new_page()
    page.goto(live_server + "/screen")
    page.locator("#zip").fill("90012")
    page.locator("#age-0").fill("34")
    page.locator("#amount-0").fill("1800")
    page.get_by_role("button", name="Add another income for you").click()
    expect(page.locator("#amount-0-1")).to_be_visible()
    assert_accessible(page)
    page.locator("#amount-0-1").fill("300")
    page.locator("#kind-0-1").select_option("child_support")
    page.locator("#age-1").fill("6")
    page.get_by_role("button", name="See what I could get").click()
    results = page.locator("#results")
    expect(results).to_contain_text("Your household of 2 earns $25,200 a year.")
    expect(results).not_to_contain_text("Seattle")  # not offered in Los Angeles
    assert_accessible(page)
    page.get_by_role("link", name="Apply for California Alternate Rates for Energy (CARE)").click()
    # Not signed in yet: the sign-in page brings the customer back to the application.
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Apply for help with your bill")
    expect(page.get_by_text("We brought over the people and incomes")).to_be_visible()
    expect(page.locator("#program-CARE")).to_be_checked()
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_have_text("Who lives in your home")
    expect(page.locator("#age-0")).to_have_value("34")
    expect(page.locator("#amount-0")).to_have_value("1800.00")
    expect(page.locator("#amount-0-1")).to_have_value("300.00")
    expect(page.locator("#kind-0-1")).to_have_value("child_support")
    assert_accessible(page)


@pytest.mark.parametrize("locale, links", [
    ("en-US", ("Privacy notice", "Accessibility", "Contact us")),
    ("es-MX", ("Aviso de privacidad", "Accesibilidad", "Contáctenos")),
])
def test_the_footer_pages_are_there_on_every_page_and_accessible(live_server, new_page, locale, links):
    page = new_page(locale)
    for name in links:
        page.goto(live_server + "/screen")
        page.locator("footer").get_by_role("link", name=name).click()
        expect(page.locator("h1")).to_have_text(name)
        assert_accessible(page)


def test_withdrawing_asks_first_and_says_what_happens(live_server, live_app, new_page, make_staff, make_account):
    from tests.browser.conftest import sign_in

    email, password, number = _customer_with_account(live_app, make_staff, make_account, "94501")
    page = new_page()
    sign_in(page, live_server, email, password)
    expect(page.get_by_role("heading", name="Where you stand")).to_be_visible()
    page.get_by_role("link", name="Apply for help with your bill").first.click()
    page.locator("label[for=program-CARE]").click()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_have_text("Who lives in your home")
    page.goto(page.url.replace("/household", ""))
    page.get_by_role("button", name="Withdraw my application").click()
    expect(page.locator("h1")).to_have_text("Withdraw your application?")
    expect(page.get_by_text("It cannot be undone.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="No, keep my application").click()
    expect(page.get_by_role("button", name="Withdraw my application")).to_be_visible()
    page.get_by_role("button", name="Withdraw my application").click()
    page.get_by_role("button", name="Yes, withdraw my application").click()
    expect(page.locator("dd strong")).to_have_text("withdrawn")
