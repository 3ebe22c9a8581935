"""A photo of a transcript: staff view it on the page (an audited read) and record the figures a
person read from it, with the reason; the income comparison and the determination use them."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.audit import AuditRecord
from documents.models import Document
from tests.applications.helpers import family
from tests.conftest import login, post_form
from tests.documents.fixtures import jpeg_bytes, png_bytes


@pytest.fixture
def world(app, db_session, clock):
    from tests.applications.helpers import make_world

    return make_world(app, db_session, clock)


def _photo_application(world, income="3000.00"):
    created = world.start(household=family(income=income))
    application_id = created.json["id"]
    assert world.upload(application_id, data=jpeg_bytes(), name="transcript-photo.jpg").status_code == 201
    assert world.submit(application_id).status_code == 200
    return application_id


def _document_id(db_session, application_id):
    from applications.models import ApplicationDocument

    return db_session.scalar(select(ApplicationDocument.document_id)
                             .where(ApplicationDocument.application_id == application_id))


def test_a_csr_records_what_a_photo_says_and_the_comparison_uses_it(client, db_session, world):
    application_id = _photo_application(world, income="3000.00")  # $36,000 a year declared
    document_id = _document_id(db_session, application_id)
    assert "document_unread" in world.flags(application_id)
    login(client, world.csr.email)
    page = client.get(f"/staff/applications/{application_id}").get_data(as_text=True)
    assert "Record the figures you read from it" in page

    # The reason is required, and the error is tied to its field; nothing is saved.
    path = f"/staff/applications/{application_id}/documents/{document_id}/reading"
    fields = {"document_type": "tax_return_transcript", "tax_year": "2025", "adjusted_gross_income": "98,400.00"}
    refused = post_form(client, path, fields, token_from=f"/staff/applications/{application_id}")
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert 'id="reading_reason-error-1"' in body and 'aria-describedby="reading_reason-error-1 "' in body
    assert db_session.get(Document, document_id).corrections is None

    saved = post_form(client, path, {**fields, "reading_reason": "Photo of the transcript, read in full"},
                      token_from=f"/staff/applications/{application_id}")
    assert saved.status_code == 302
    flags = world.flags(application_id)
    assert "income_mismatch" in flags and "document_unread" not in flags
    view = world.staff_view(application_id)
    mismatch = next(f for f in view["flags"] if f["code"] == "income_mismatch")
    assert "$98,400.00" in mismatch["message"]
    page = client.get(f"/staff/applications/{application_id}").get_data(as_text=True)
    assert "read by a person" in page and "$98,400.00" in page
    record = db_session.scalar(select(AuditRecord).where(AuditRecord.action == "document.read_by_person"))
    assert record.reason == "Photo of the transcript, read in full"
    assert record.details["amounts_cents"] == {"adjusted_gross_income": 9_840_000}


def test_a_reading_that_agrees_with_the_declared_income_raises_no_flag(client, db_session, world):
    application_id = _photo_application(world, income="3000.00")
    document_id = _document_id(db_session, application_id)
    login(client, world.csr.email)
    response = post_form(client, f"/staff/applications/{application_id}/documents/{document_id}/reading",
                         {"document_type": "tax_return_transcript", "tax_year": "2025",
                          "adjusted_gross_income": "36000.00", "reading_reason": "Scan without a text layer"},
                         token_from=f"/staff/applications/{application_id}")
    assert response.status_code == 302
    assert {"income_mismatch", "document_unread"}.isdisjoint(world.flags(application_id))


@pytest.mark.parametrize("fields, field", [
    ({"document_type": "", "tax_year": "2025", "adjusted_gross_income": "1.00"}, "document_type"),
    ({"document_type": "tax_return_transcript", "tax_year": "1899", "adjusted_gross_income": "1.00"}, "tax_year"),
    # Digits that int() refuses ("²".isdigit() is true) are a 422 by the field, never a 500.
    ({"document_type": "tax_return_transcript", "tax_year": "²⁰²⁵", "adjusted_gross_income": "1.00"}, "tax_year"),
    ({"document_type": "tax_return_transcript", "tax_year": "2025"}, "adjusted_gross_income"),
    ({"document_type": "tax_return_transcript", "tax_year": "2025", "adjusted_gross_income": "lots"},
     "adjusted_gross_income"),
])
def test_an_incomplete_reading_names_the_field(client, db_session, world, fields, field):
    application_id = _photo_application(world)
    document_id = _document_id(db_session, application_id)
    login(client, world.csr.email)
    response = post_form(client, f"/staff/applications/{application_id}/documents/{document_id}/reading",
                         {**fields, "reading_reason": "photo"}, token_from=f"/staff/applications/{application_id}")
    assert response.status_code == 422
    assert f'id="{field}-error-1"' in response.get_data(as_text=True)


def test_staff_view_a_photo_on_the_page_and_the_view_is_audited(client, db_session, world):
    application_id = world.start().json["id"]
    assert world.upload(application_id, data=png_bytes(), name="snap.png").status_code == 201
    document_id = _document_id(db_session, application_id)
    login(client, world.csr.email)
    page = client.get(f"/staff/documents/{document_id}/view?reason=checking+the+photo")
    assert page.status_code == 200
    assert f'src="/staff/documents/{document_id}/image?reason=checking+the+photo"' in page.get_data(as_text=True)
    before = db_session.scalar(select(AuditRecord.id).order_by(AuditRecord.id.desc()))
    image = client.get(f"/staff/documents/{document_id}/image?reason=checking+the+photo")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    assert image.headers["Content-Disposition"].startswith("inline")
    assert image.headers["Cache-Control"] == "no-store"
    read = db_session.scalars(select(AuditRecord).where(AuditRecord.id > before,
                                                        AuditRecord.action == "document.viewed")).all()
    assert [r.reason for r in read] == ["checking the photo"]


def test_a_customer_cannot_view_a_document_through_the_staff_image(client, db_session, world):
    application_id = world.start().json["id"]
    assert world.upload(application_id, data=png_bytes(), name="snap.png").status_code == 201
    document_id = _document_id(db_session, application_id)
    login(client, world.customer.email)
    assert client.get(f"/staff/documents/{document_id}/image").status_code == 403
    assert client.get(f"/staff/documents/{document_id}/view").status_code == 403
