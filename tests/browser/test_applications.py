"""A customer applies in Spanish with a generated transcript; a CSR approves; the customer sees the letter."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.applications.helpers import transcript
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_a_customer_applies_in_spanish_and_a_csr_approves(live_server, live_app, new_page, make_staff, make_account,
                                                          tmp_path):
    from core.database import db
    from tests import factories

    number = make_account(zip_code="94501")
    email, password = make_staff("customer")
    with live_app.app_context():
        from accounts.models import Account
        from auth.models import User
        from sqlalchemy import select

        user = db.session.scalar(select(User).where(User.email == email))
        factories.link(db.session, user, db.session.scalar(select(Account).where(Account.number == number)))
        user.language = "es"
        db.session.commit()
    pdf = tmp_path / "transcripcion.pdf"
    pdf.write_bytes(transcript(agi_cents=3_000_000))

    page = new_page("es-MX")
    sign_in(page, live_server, email, password, language="es")
    page.get_by_role("link", name="Mis solicitudes").click()
    page.get_by_role("link", name="Empezar una solicitud").click()
    assert_accessible(page)
    page.locator("label[for=program-CARE]").click()
    page.get_by_role("button", name="Continuar").click()
    expect(page.locator("h1")).to_have_text("Quién vive en su hogar")
    assert_accessible(page)
    page.locator("#name-0").fill("Zach T Woo")
    page.locator("#age-0").fill("41")
    page.locator("#amount-0").fill("2500")
    page.locator("#name-1").fill("Leo Woo")
    page.locator("#age-1").fill("8")
    page.get_by_role("button", name="Guardar y continuar").last.click()
    expect(page.locator("h1")).to_have_text("Beneficios que recibe")
    assert_accessible(page)
    page.get_by_role("button", name="Guardar y continuar").click()
    expect(page.locator("h1")).to_have_text("Comprobantes de ingresos y beneficios")
    assert_accessible(page)
    page.locator("#file").set_input_files(str(pdf))
    page.get_by_role("button", name="Subir").click()
    expect(page.get_by_text("Su archivo se subió.")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="transcripcion.pdf")).to_be_visible()
    page.get_by_role("button", name="Continuar").click()
    expect(page.locator("h1")).to_have_text("Revisar y firmar")
    assert_accessible(page)
    page.locator("#signature").fill("Zach T Woo")
    page.get_by_role("button", name="Enviar mi solicitud").click()
    expect(page.get_by_text("Su número de confirmación es")).to_be_visible()
    assert_accessible(page)
    number = page.get_by_text("Su número de confirmación es").inner_text().rsplit(" ", 1)[-1].rstrip(".")

    csr_email, csr_password = make_staff("csr")
    csr = new_page()
    sign_in(csr, live_server, csr_email, csr_password)
    csr.get_by_role("link", name="Queue").click()
    assert_accessible(csr)
    csr.get_by_role("link", name=number).click()  # this application, whatever else waits in the queue
    expect(csr.get_by_text("Your household of 2 earns $30,000 a year.")).to_be_visible()
    assert_accessible(csr)
    csr.locator("label[for=decision-approve]").click()
    csr.get_by_role("button", name="Save the decision").click()
    expect(csr.get_by_text("The decision is saved and the customer is told.")).to_be_visible()
    assert_accessible(csr)

    page.reload()
    expect(page.get_by_text("Usted fue aprobado para Tarifas Alternativas de California para Energía (CARE)")).to_be_visible()
    page.get_by_role("link", name="Usted fue aprobado para").click()
    expect(page.locator("h1")).to_contain_text("Usted fue aprobado")
    assert_accessible(page)

