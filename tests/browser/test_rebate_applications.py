"""A customer in Spanish applies for a rebate on the pages (two items, a receipt each) and a CSR
approves for less with a reason; the bill credit is accepted and the customer sees when it was paid;
axe finds nothing on any page on the way."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in
from tests.browser.test_rebates import example_program  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def _customer(live_app):
    from core.database import db
    from tests import factories
    from tests.conftest import PASSWORD

    with live_app.app_context():
        session = db.session()
        user = factories.make_user(session, "customer", language="es")
        account = factories.make_account(session, zip_code="94610", city="Oakland")
        account.service_address = "77 Lakeshore Ave"
        factories.link(session, user, account)
        session.commit()
        return user.email, PASSWORD, account.number


def _item(page, invoice: str, price: str) -> None:
    page.locator("#device").select_option("EXAMPLE-WATER:TOILET")
    page.get_by_role("button", name="Siguiente").click()
    page.locator("#quantity").fill("1")
    page.locator("#purchased_on").fill("2026-11-20")
    page.locator("#model").fill("EC-0800-W")
    page.locator("#attr-replaced_gpf").fill("3.5")
    page.locator("#price").fill(price)
    page.locator("#retailer").fill("Ferretería Lago")
    page.locator("#invoice_number").fill(invoice)
    page.get_by_role("button", name="Guardar el artículo y ver su reembolso").click()


def test_a_customer_in_spanish_applies_and_a_csr_approves_for_less(live_server, live_app, new_page, make_staff,
                                                                   example_program, tmp_path):  # noqa: F811
    email, password, number = _customer(live_app)
    page = new_page(locale="es-ES")
    sign_in(page, live_server, email, password, language="es")
    page.goto(live_server + "/rebates/apply")
    expect(page.locator("h1")).to_have_text("Solicitar un reembolso")
    assert_accessible(page)
    _item(page, "F-1", "150.00")
    expect(page.locator("h2").first).to_contain_text("$150.00")
    assert_accessible(page)
    _item(page, "F-2", "120.00")
    expect(page.get_by_text("Inodoro de alta eficiencia × 1: $120.00")).to_be_visible()
    receipt = tmp_path / "recibo.pdf"
    for index in (0, 1):
        receipt.write_bytes(b"%PDF-1.4\n% recibo " + str(index).encode() + b"\n%%EOF\n")
        page.locator(f"#file-{index}").set_input_files(str(receipt))
        page.locator("form").filter(has=page.locator(f"#file-{index}")).get_by_role("button", name="Subir").click()
    assert_accessible(page)
    page.locator("#signature").fill("Ana Lago")
    page.get_by_role("button", name="Firmar y enviar").click()
    expect(page.get_by_text("$270.00").first).to_be_visible()
    assert_accessible(page)
    application_id = re.search(r"/applications/(\d+)", page.url).group(1)

    csr_email, csr_password = make_staff("csr")
    staff = new_page()
    sign_in(staff, live_server, csr_email, csr_password)
    staff.goto(f"{live_server}/staff/applications/{application_id}")
    expect(staff.get_by_text("Rebates already counted for this home, account or customer")).to_be_visible()
    assert_accessible(staff)
    staff.locator("label[for=decision-approve]").click()
    staff.locator("#amount").fill("200.00")
    staff.locator("#message").fill("Uno de los inodoros costó menos de lo calculado.")
    staff.get_by_role("button", name="Save the decision").click()
    expect(staff.get_by_text("The decision is saved and the customer is told.")).to_be_visible()
    expect(staff.get_by_text("$200.00").first).to_be_visible()
    assert_accessible(staff)
    page.goto(f"{live_server}/applications/{application_id}")
    expect(page.get_by_text("$200.00").first).to_be_visible()
    assert_accessible(page)

    # The billing system accepts the credit file: the customer sees when the rebate reached the bill.
    from sqlalchemy import select

    from accounts import rules as ledger_rules, service as ledger
    from core.audit import Actor, acting_as
    from core.database import db
    from rebates.models import RebatePayment

    with live_app.app_context():
        acting_as(Actor(label="test: billing"))
        session = db.session()
        payment = session.scalar(select(RebatePayment).where(RebatePayment.application_id == int(application_id)))
        assert (payment.method, payment.amount_cents) == ("bill_credit", 20000)
        batch = ledger.export_credits(session, [list(column) for column in ledger_rules.DEFAULT_LAYOUT])
        ledger.acknowledge(session, batch, [(2, {"entry_id": str(payment.ledger_entry_id), "status": "accepted"})])
        session.commit()
    page.goto(f"{live_server}/applications/{application_id}")
    expect(page.get_by_text(re.compile(r"Acreditado a su factura el \d+ de \w+ de \d{4}"))).to_be_visible()
    expect(page.get_by_text("Se pagó su reembolso de la solicitud", exact=False)).to_be_visible()
    assert_accessible(page)
