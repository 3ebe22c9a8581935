"""A person's view: the home page in both languages, and sign-up through to sign-out."""
from __future__ import annotations

from playwright.sync_api import expect

import re

import pytest

from tests.browser.conftest import assert_accessible
from tests.conftest import PASSWORD, random_email

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("locale, heading, lang", [
    ("en-US", "Help paying your utility bill", "en"),
    ("es-MX", "Ayuda para pagar su factura", "es"),
])
def test_home_page_in_both_languages_is_accessible(live_server, new_page, locale, heading, lang):
    page = new_page(locale)
    response = page.goto(live_server + "/")
    assert response.status == 200
    expect(page.locator("h1")).to_have_text(heading)
    assert page.locator("html").get_attribute("lang") == lang
    assert_accessible(page)


def test_error_page_is_accessible(live_server, new_page):
    page = new_page()
    response = page.goto(live_server + "/no-such-page")
    assert response.status == 404
    assert_accessible(page)


def _mailbox_link(live_app, email: str) -> str:
    """What the person's mailbox would hold: the link, read from the message as the mail server gets it."""
    from sqlalchemy import select

    from core.database import db
    from core.outbox import OutboxMessage

    with live_app.app_context():
        body = db.session.scalars(select(OutboxMessage.body_text).where(OutboxMessage.to_address == email)
                                  .order_by(OutboxMessage.id.desc())).first()
    return re.search(r"http://[^\s]+/confirm/[^\s]+", body).group(0)


def test_register_confirm_sign_in_switch_to_spanish_and_sign_out(live_server, live_app, new_page, make_staff):
    email = random_email("browser")
    person = new_page()
    person.goto(live_server + "/")
    person.get_by_role("link", name="Create an account").first.click()
    expect(person.locator("h1")).to_have_text("Create an account")
    assert_accessible(person)
    person.get_by_label("Email address").fill(email)
    person.locator("#password").fill("short")
    person.get_by_label("Type the password again").fill("short")
    person.get_by_role("button", name="Create account").click()
    expect(person.get_by_text("Use at least 8 characters.").first).to_be_visible()
    assert_accessible(person)  # the page with errors tied to their fields
    person.locator("#password").fill(PASSWORD)
    person.get_by_label("Type the password again").fill(PASSWORD)
    person.get_by_role("button", name="Create account").click()
    expect(person.get_by_role("heading", name="Check your email")).to_be_visible()
    assert_accessible(person)

    # A CSR finds the confirmation message on the outbox page (no mail server here), with its link
    # withheld: only the person's mailbox has it.
    csr_email, csr_password = make_staff("csr")
    staff = new_page()
    staff.goto(live_server + "/login")
    assert_accessible(staff)
    staff.get_by_label("Email address").fill(csr_email)
    staff.locator("#password").fill(csr_password)
    staff.get_by_role("button", name="Sign in").click()
    expect(staff.get_by_role("button", name="Sign out")).to_be_visible()
    staff.goto(live_server + "/staff/outbox?to=" + email)
    assert_accessible(staff)
    staff.get_by_role("link", name="Confirm your email for Assist").click()
    assert_accessible(staff)
    body = staff.locator(".assist-pre").inner_text()
    assert "[link withheld]" in body and "/confirm/" not in body
    link = _mailbox_link(live_app, email)

    person.goto(link)
    expect(person.get_by_text("Your email is confirmed")).to_be_visible()
    assert_accessible(person)
    person.get_by_label("Email address").fill(email)
    person.locator("#password").fill(PASSWORD)
    person.get_by_role("button", name="Sign in").click()
    expect(person.get_by_text(f"You are signed in as {email}")).to_be_visible()
    assert_accessible(person)

    person.get_by_label("Language").select_option("es")
    person.get_by_role("button", name="Change language").click()
    expect(person.locator("html")).to_have_attribute("lang", "es")
    expect(person.locator("h1")).to_have_text("Ayuda para pagar su factura")
    assert_accessible(person)

    person.get_by_role("button", name="Cerrar sesión").click()
    expect(person.get_by_role("link", name="Iniciar sesión").first).to_be_visible()
    assert_accessible(person)
    assert person.goto(live_server + "/account").url.startswith(live_server + "/login")
