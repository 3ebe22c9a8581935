"""The customer's way through in a browser (issue 13, §3): the appeal of one program, an information
request answered in several uploads, a file over the size limit returning to its step (with and
without JavaScript), and a Spanish customer's upload control in Spanish."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.applications.helpers import family, transcript
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def case(live_app, make_staff, make_account):
    """A customer (email, password) with an application for `programs`, sent unless `draft`;
    returns (email, password, application id)."""
    def make(programs=("CARE",), draft=False, language="en"):
        from sqlalchemy import select

        from accounts.models import Account
        from auth.models import User
        from core.database import db
        from applications import service as lifecycle
        from eligibility.assistance import service
        from eligibility.assistance.schemas import ApplicationHouseholdIn
        from tests import factories

        number = make_account()
        email, password = make_staff("customer")
        with live_app.test_request_context():
            user = db.session.scalar(select(User).where(User.email == email))
            user.language = language
            account = db.session.scalar(select(Account).where(Account.number == number))
            factories.link(db.session, user, account)
            household = ApplicationHouseholdIn().load(family())
            application = service.start(db.session, user=user, applicant=user, account_number=number,
                                        program_codes=list(programs), household=household, categorical=[])
            if not draft:
                lifecycle.attach(db.session, user, application, data=transcript(), filename="t.pdf")
                db.session.commit()
                lifecycle.submit(db.session, user, application, "Zach T Woo")
            db.session.commit()
            return email, password, application.id

    return make


def _decide(live_app, application_id, **decision):
    """A CSR's decision, as the review page makes it."""
    from sqlalchemy import select

    from auth.models import User
    from core.database import db
    from applications import service as lifecycle
    from tests.factories import make_user

    with live_app.test_request_context():
        csr = db.session.scalar(select(User).where(User.role == "csr").order_by(User.id.desc()).limit(1)) \
            or make_user(db.session, "csr")
        application = lifecycle.get_for_change(db.session, csr, application_id)
        lifecycle.decide(db.session, csr, application, **decision)
        db.session.commit()


def _status_of(live_app, application_id) -> tuple[str, dict]:
    from core.database import db
    from applications.models import Application

    with live_app.app_context():
        application = db.session.get(Application, application_id)
        return application.status, application.assistance.household


def test_approved_for_one_program_the_customer_appeals_the_other(live_server, live_app, new_page, make_staff, case):
    email, password, application_id = case(("CARE", "FERA"))
    make_staff("csr")
    _decide(live_app, application_id, decision="approve", program_code="CARE")
    _decide(live_app, application_id, decision="deny", program_code="FERA", reason="over_income")

    customer = new_page()
    sign_in(customer, live_server, email, password)
    customer.goto(f"{live_server}/applications/{application_id}")
    expect(customer.locator("#reason-FERA")).to_be_visible()
    expect(customer.locator("#reason-CARE")).to_have_count(0)  # nothing to appeal in an approval
    assert_accessible(customer)
    customer.locator("#reason-FERA").fill("We are four at home since October, not three.")
    customer.get_by_role("button", name="Send my appeal for").click()
    expect(customer.get_by_text("Your appeal is sent. A manager will review it.")).to_be_visible()
    expect(customer.get_by_text("A manager is reviewing it.")).to_be_visible()
    assert_accessible(customer)
    assert _status_of(live_app, application_id)[0] == "appealed"

    manager_email, manager_password = make_staff("manager")
    manager = new_page()
    sign_in(manager, live_server, manager_email, manager_password)
    manager.goto(f"{live_server}/staff/applications/{application_id}")
    manager.locator("label[for=outcome-overturned]").click()
    manager.locator("#appeal_note").fill("A household of four is within the FERA limit.")
    manager.get_by_role("button", name="Decide the appeal").click()
    expect(manager.get_by_text("The appeal is decided and the customer is told.")).to_be_visible()
    customer.reload()
    expect(customer.get_by_text("The denial was overturned and you are approved.").first).to_be_visible()


def test_an_information_request_with_two_items_is_answered_in_two_uploads(live_server, live_app, new_page,
                                                                          make_staff, case, tmp_path):
    email, password, application_id = case()
    csr_email, csr_password = make_staff("csr")
    _decide(live_app, application_id, decision="request_info",
            checklist=["Page 2 of your tax return transcript", "Your spouse's last pay stub"])
    page2, stub = tmp_path / "page2.pdf", tmp_path / "paystub.pdf"
    page2.write_bytes(transcript(tracking="100012340101"))
    stub.write_bytes(transcript(tracking="100012340102"))

    customer = new_page()
    sign_in(customer, live_server, email, password)
    customer.goto(f"{live_server}/applications/{application_id}")
    expect(customer.get_by_text("Your spouse's last pay stub")).to_be_visible()
    customer.locator("#file").set_input_files(str(page2))
    customer.get_by_role("button", name="Upload", exact=True).click()
    expect(customer.get_by_text("Your file is uploaded.")).to_be_visible()
    expect(customer.locator("#sent-since-request")).to_contain_text("page2.pdf")
    expect(customer.get_by_role("button", name="I have sent everything")).to_be_visible()  # the form stays
    assert_accessible(customer)
    assert _status_of(live_app, application_id)[0] == "needs_info"

    csr = new_page()
    sign_in(csr, live_server, csr_email, csr_password)
    csr.goto(f"{live_server}/staff/applications/{application_id}")
    expect(csr.get_by_text("The customer uploaded page2.pdf.")).to_be_visible()  # each arrival is seen

    customer.locator("#file").set_input_files(str(stub))
    customer.get_by_role("button", name="I have sent everything").click()
    expect(customer.get_by_text("Thank you. We have everything you sent and will review it.")).to_be_visible()
    expect(customer.get_by_role("button", name="I have sent everything")).to_have_count(0)
    assert_accessible(customer)
    assert _status_of(live_app, application_id)[0] == "in_review"
    csr.reload()
    expect(csr.get_by_text("The customer has sent everything: page2.pdf, paystub.pdf.")).to_be_visible()


@pytest.fixture
def one_megabyte_limit(live_app):
    saved = live_app.config["MAX_CONTENT_LENGTH"], live_app.config["MAX_UPLOAD_MB"]
    live_app.config.update(MAX_CONTENT_LENGTH=1024 * 1024, MAX_UPLOAD_MB=1)
    yield
    live_app.config["MAX_CONTENT_LENGTH"], live_app.config["MAX_UPLOAD_MB"] = saved


def test_an_oversize_file_is_stopped_before_sending_and_returns_to_its_step_without_javascript(
        live_server, live_app, browser, new_page, case, tmp_path, one_megabyte_limit):
    email, password, application_id = case(draft=True)
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024))
    household_before = _status_of(live_app, application_id)[1]

    page = new_page()
    sign_in(page, live_server, email, password)
    page.goto(f"{live_server}/applications/{application_id}/documents")
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.locator("#file").set_input_files(str(big))
    error = page.locator("#file-error-size")
    expect(error).to_have_text("The file big.pdf is 2 MB; the largest we accept is 1 MB.")
    assert "file-error-size" in page.locator("#file").get_attribute("aria-describedby")
    page.get_by_role("button", name="Upload", exact=True).click()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#file")).to_be_focused()
    assert posts == []  # nothing was sent
    assert_accessible(page)

    context = browser.new_context(java_script_enabled=False)
    try:
        plain = context.new_page()
        plain.set_default_timeout(15_000)
        plain.goto(f"{live_server}/login")
        plain.locator("#email").fill(email)
        plain.locator("#password").fill(password)
        plain.get_by_role("button", name="Sign in").click()
        plain.goto(f"{live_server}/applications/{application_id}/documents")
        plain.locator("#file").set_input_files(str(big))
        plain.get_by_role("button", name="Upload", exact=True).click()
        expect(plain.locator("h1")).to_have_text("Proof of income and benefits")  # the same step
        expect(plain.locator("#file-error-1")).to_have_text("The file is 2 MB; the largest we accept is 1 MB.")
        assert plain.locator("#file").get_attribute("aria-invalid") == "true"
        assert "file-error-1" in plain.locator("#file").get_attribute("aria-describedby")
    finally:
        context.close()
    assert _status_of(live_app, application_id) == ("draft", household_before)  # nothing else was lost


def test_a_spanish_customer_sees_the_upload_control_in_spanish(live_server, new_page, case, tmp_path):
    email, password, application_id = case(draft=True, language="es")
    pdf = tmp_path / "talon.pdf"
    pdf.write_bytes(transcript())
    page = new_page("es-MX")
    sign_in(page, live_server, email, password, language="es")
    page.goto(f"{live_server}/applications/{application_id}/documents")
    form = page.locator("form", has=page.locator("#file"))
    expect(form).to_contain_text("Elegir archivos")
    expect(form).to_contain_text("o arrástrelos aquí")
    expect(form).to_contain_text("Todavía no eligió ningún archivo.")
    expect(form).to_contain_text("de hasta 15 MB en un envío")
    expect(page.get_by_label("Archivos")).to_have_count(1)  # the field's name is its Spanish label
    page.locator("#file").set_input_files(str(pdf))
    expect(form).to_contain_text("Elegidos, todavía sin enviar: talon.pdf")
    text = form.inner_text()
    for english in ("Drag", "Choose", "No file", "Selected", "Change file", "Files"):
        assert english not in text, english
    assert_accessible(page)
    page.get_by_role("button", name="Continuar").click()  # Continue sends the chosen file
    expect(page.locator("h1")).to_have_text("Revisar y firmar")
    expect(page.get_by_text("talon.pdf")).to_be_visible()
