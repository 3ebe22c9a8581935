"""An inspector records a pass from a phone-sized screen; the day list and the form are axe clean."""
from __future__ import annotations

from datetime import time, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_an_inspector_records_a_pass_at_390_px(live_app, live_server, new_page):
    from core import clock
    from core.audit import Actor, acting_as
    from core.database import db
    from rebates import inspections
    from tests.rebates.test_inspections import make_application

    with live_app.app_context():
        acting_as(Actor(label="test"))
        day = clock.today() + timedelta(days=2)
        slot = inspections.add_slot(db.session, day, time(9), time(11), 2, "94501")
        application = make_application(db.session)
        inspection = inspections.request_inspection(db.session, application.id, "claim", "post", "always")
        inspections.schedule(db.session, inspection, slot_id=slot.id)
        from auth import service
        from tests.conftest import PASSWORD, random_email

        inspector = service.create_user(db.session, email=random_email("inspector"), password=PASSWORD,
                                        role="inspector", confirmed=True)
        inspections.assign(db.session, inspection, inspector.id)
        inspection_id, application_id, email, password = inspection.id, application.id, inspector.email, PASSWORD
        db.session.commit()

    page = new_page()
    sign_in(page, live_server, email, password)
    expect(page.locator("h1")).to_have_text(f"Inspections on {clock.today().isoformat()}")  # their landing page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/staff/inspections?day={day.isoformat()}&zip=94501")
    expect(page.locator("h1")).to_have_text(f"Inspections on {day.isoformat()}")
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("link", name=f"Record the result of inspection {inspection_id}").click()
    page.get_by_role("button", name="Save the result").click()
    expect(page.locator("#result-error")).to_be_visible()
    assert_accessible(page)  # the error is tied to the question
    page.locator("label[for=result-pass]").click()  # USWDS draws the radio on its label
    page.get_by_label("Measured area (square feet)").fill("1250")
    photo = page.locator("#photos")
    assert photo.get_attribute("accept") == "image/*" and photo.get_attribute("capture") == "environment"
    photo.set_input_files(files=[{"name": "yard.png", "mimeType": "image/png", "buffer": _png()}])
    page.get_by_role("button", name="Save the result").click()
    expect(page.get_by_text("The result is saved.")).to_be_visible()
    expect(page.get_by_text("completed · pass")).to_be_visible()
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with live_app.app_context():
        assert inspections.approval_blocked(db.session, application_id) is None
        from rebates.inspection_models import Inspection

        assert len(inspections.photos_of(db.session, db.session.get(Inspection, inspection_id))) == 1


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (60, 140, 60)).save(out, "PNG")
    return out.getvalue()


def test_the_booking_page_is_accessible_in_spanish_at_390_px(live_app, live_server, new_page):
    from core import clock
    from core.audit import Actor, acting_as
    from core.database import db
    from rebates import inspections
    from tests.conftest import PASSWORD
    from tests.factories import make_user
    from tests.rebates.test_inspections import make_application

    with live_app.app_context():
        acting_as(Actor(label="test"))
        customer = make_user(db.session, "customer")
        customer.language = "es"
        inspections.add_slot(db.session, clock.today() + timedelta(days=3), time(13), time(15), 1, "94501")
        inspection_id = inspections.request_inspection(db.session, make_application(db.session, customer).id,
                                                       "reservation", "pre", "always").id
        email = customer.email
        db.session.commit()
    page = new_page(locale="es-ES")
    sign_in(page, live_server, email, PASSWORD, language="es")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/inspections/{inspection_id}")
    expect(page.locator("h1")).to_have_text("Su inspección")
    page.get_by_role("button", name="Reservar este horario").click()
    expect(page.locator("#slot_id-error")).to_be_visible()
    assert_accessible(page)
    page.locator("label[for^=slot-]").first.click()
    page.get_by_role("button", name="Reservar este horario").click()
    expect(page.get_by_text("Su inspección está programada. Le enviamos una confirmación.")).to_be_visible()
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
