"""A customer links an account; a CSR posts and reverses an adjustment on it."""
from __future__ import annotations

from playwright.sync_api import expect

import pytest

from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_customer_links_account_and_csr_posts_and_reverses_an_adjustment(live_server, new_page, make_staff,
                                                                         make_account):
    number = make_account(zip_code="94501", last_bill_cents=13722)
    customer_email, password = make_staff("customer")

    customer = new_page()
    sign_in(customer, live_server, customer_email, password)
    customer.get_by_role("link", name="My accounts").click()
    assert_accessible(customer)
    customer.locator("#account_number").fill(number)
    customer.locator("#zip").fill("94501")
    customer.locator("#last_bill_amount").fill("137.21")
    customer.get_by_role("button", name="Link account").click()
    expect(customer.get_by_text("We could not match those details").first).to_be_visible()
    assert_accessible(customer)
    customer.locator("#last_bill_amount").fill("137.22")
    customer.get_by_role("button", name="Link account").click()
    expect(customer.get_by_text(f"Account {number} is now linked to your login.")).to_be_visible()
    assert_accessible(customer)

    csr_email, csr_password = make_staff("csr")
    csr = new_page()
    sign_in(csr, live_server, csr_email, csr_password)
    csr.get_by_role("link", name="Accounts").click()
    csr.get_by_label("Account number, name or address").fill(number)
    csr.get_by_role("button", name="Search").click()
    expect(csr.get_by_role("link", name=number)).to_be_visible()  # the results page, not the form still leaving
    assert_accessible(csr)
    csr.get_by_role("link", name=number).click()
    csr.locator("#amount").fill("45.00")
    csr.locator("#reason_code").select_option("leak_adjustment")
    csr.locator("#note").fill("Leak under the slab repaired; invoice seen")
    csr.get_by_role("button", name="Post adjustment").click()
    expect(csr.get_by_text("The adjustment is posted.")).to_be_visible()
    assert_accessible(csr)
    row = csr.locator("tbody tr", has_text="Leak under the slab repaired")
    expect(row).to_contain_text("$45.00")
    row.get_by_label("Amount (blank for all $45.00)").fill("20.00")
    row.get_by_label("Reason").fill("Part of the leak was before the move-in")
    row.get_by_role("button", name="Reverse entry").click()
    expect(csr.get_by_text("The entry is reversed.")).to_be_visible()
    assert_accessible(csr)
    expect(csr.locator("tbody tr", has_text="Part of the leak")).to_contain_text("-$20.00")

    customer.reload()
    expect(customer.locator("tbody")).to_contain_text("$25.00")
    assert_accessible(customer)
