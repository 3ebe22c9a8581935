"""Staff pages stay accessible with real content on them (issue 13): the approvals page with a
request waiting, and wide tables that a keyboard can scroll; an account's page with its whole story."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser

SCROLLING_TABLES_WITHOUT_FOCUS = """() => [...document.querySelectorAll('main *')]
  .filter(el => el.scrollWidth > el.clientWidth + 1 && ['auto', 'scroll'].includes(getComputedStyle(el).overflowX))
  .filter(el => el.tabIndex < 0).map(el => el.outerHTML.slice(0, 80))"""


def test_approvals_with_a_request_waiting_are_accessible(live_app, live_server, new_page, make_staff, make_account):
    from accounts import service
    from accounts.models import Account
    from auth.models import User
    from core.database import db
    from sqlalchemy import select

    number = make_account()
    csr_email, _password = make_staff("csr")
    with live_app.test_request_context():
        session = db.session()
        account = session.scalar(select(Account).where(Account.number == number))
        csr = session.scalar(select(User).where(User.email == csr_email))
        service.request_adjustment(session, account=account, amount_cents=250_000, reason_code="leak_adjustment",
                                   note="Leak under the slab; the plumber's invoice was seen", requested_by=csr)
        session.commit()
    email, password = make_staff("manager")
    page = new_page()
    sign_in(page, live_server, email, password)
    page.goto(live_server + "/staff/adjustments")
    expect(page.get_by_text("Leak under the slab; the plumber's invoice was seen")).to_be_visible()
    assert_accessible(page)  # the hint's colour on the box's tint has enough contrast


@pytest.mark.parametrize("path", ["/staff/queue", "/staff/credits", "/staff/recertification"])
def test_a_table_wider_than_the_page_can_be_scrolled_from_the_keyboard(live_server, new_page, make_staff, path):
    email, password = make_staff("manager")
    page = new_page()
    page.set_viewport_size({"width": 320, "height": 700})
    sign_in_at_phone_width(page, live_server, email, password)
    response = page.goto(live_server + path)
    assert response.status == 200
    assert page.evaluate("document.documentElement.scrollWidth") <= 320  # the table scrolls, not the page
    assert page.evaluate(SCROLLING_TABLES_WITHOUT_FOCUS) == []
    assert_accessible(page)


def sign_in_at_phone_width(page, base, email, password):
    page.goto(base + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Dashboard")


def test_a_csr_takes_a_phone_application_and_invites_the_customer_later(live_server, new_page, make_staff,
                                                                         make_account):
    number = make_account(zip_code="94501")
    email, password = make_staff("csr")
    page = new_page()
    sign_in(page, live_server, email, password)
    page.locator(".assist-sidenav").get_by_role("link", name="New application").click()
    assert_accessible(page)
    page.get_by_label("Account number").fill(number)
    page.locator("label[for=channel-phone]").click()  # USWDS draws the radio on its label
    expect(page.locator("#channel-phone")).to_be_checked()
    page.get_by_label("Customer's full name").fill("María Núñez-García")
    page.get_by_label("Language for letters").select_option("es")
    page.get_by_label("How the customer proved they hold the account").fill("Last bill amount confirmed by phone")
    page.locator("label[for=program-CARE]").click()
    page.locator("main").get_by_role("button", name="Continue").click()
    page.wait_for_url("**/household")
    page.goto(f"{live_server}/staff/accounts/{number}")
    expect(page.get_by_text("María Núñez-García (no email login; letters by post)")).to_be_visible()
    assert_accessible(page)  # the account's enrollments, applications, ledger and the invitation form
    page.get_by_label("Invite María Núñez-García to sign in: their email").fill("maria@example.org")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("we emailed maria@example.org a link to choose a password")).to_be_visible()
    assert_accessible(page)


def test_staff_view_a_photo_on_the_page(live_app, live_server, new_page, make_staff):
    from auth.models import User
    from core.database import db
    from documents import service
    from sqlalchemy import select
    from tests.documents.fixtures import png_bytes

    customer_email, _password = make_staff("customer")
    with live_app.test_request_context():
        session = db.session()
        customer = session.scalar(select(User).where(User.email == customer_email))
        document_id = service.upload(session, owner=customer, uploaded_by=customer, data=png_bytes(400, 300),
                                     filename="transcript-photo.png").document.id
        session.commit()
    email, password = make_staff("csr")
    page = new_page()
    sign_in(page, live_server, email, password)
    page.goto(f"{live_server}/staff/documents/{document_id}")
    page.get_by_role("link", name="View the document on the page").click()
    image = page.get_by_role("img", name="The uploaded image transcript-photo.png")
    expect(image).to_be_visible()
    handle = image.element_handle()
    page.wait_for_function("(img) => img.complete", arg=handle)  # visible (its alt box) is not yet loaded
    assert page.evaluate("(img) => img.naturalWidth", handle) == 400
    assert_accessible(page)
