"""Uploads through the site: checked by content, encrypted, parsed in the background, every read logged."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from core.audit import AuditRecord
from documents.models import Document
from tests.conftest import TEST_DOCUMENT_KEY, csrf_token, login
from tests.documents import fixtures as fx
from tests.factories import make_user

TRANSCRIPT = fx.render(fx.tax_return_transcript(fx.Taxpayer(), {"wages": 3_120_000, "adjusted_gross_income": 3_121_250},
                                                fx.Style("legacy")))


def _upload(client, data: bytes, name: str):
    token = csrf_token(client, "/documents")
    return client.post("/documents", data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


@pytest.fixture
def customer(client, db_session):
    user = make_user(db_session, "customer")
    login(client, user.email)
    return user


def _documents(db_session, owner):
    return list(db_session.scalars(select(Document).where(Document.owner_id == owner.id).order_by(Document.id)))


def test_an_uploaded_transcript_is_stored_encrypted_and_read(app, client, db_session, customer):
    response = _upload(client, TRANSCRIPT, "transcript.pdf")
    assert response.status_code == 302
    (document,) = _documents(db_session, customer)
    assert document.kind == "pdf" and document.status == "parsed"
    assert document.parse_result["amounts_cents"]["adjusted_gross_income"] == 3_121_250
    raw = (Path(app.config["UPLOAD_DIR"]) / document.storage_name[:2] / document.storage_name).read_bytes()
    assert b"%PDF" not in raw and b"ADJUSTED" not in raw
    page = client.get("/documents").get_data(as_text=True)
    assert "transcript.pdf" in page and "read" in page


def test_the_same_file_twice_is_recognized(client, db_session, customer):
    _upload(client, TRANSCRIPT, "a.pdf")
    response = _upload(client, TRANSCRIPT, "again.pdf")
    assert response.status_code == 302
    assert len(_documents(db_session, customer)) == 1
    assert "We already have this file" in client.get("/documents").get_data(as_text=True)


@pytest.mark.parametrize("data, name, message", [
    (fx.png_bytes(), "transcript.pdf", "does not match what it contains"),
    (b"<html>%PDF-1.4</html>", "page.pdf", "not a PDF or a JPEG, PNG or HEIC photo"),
])
def test_a_refused_file_stores_nothing_and_says_why_by_the_field(client, db_session, customer, data, name, message):
    response = _upload(client, data, name)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and message in body
    assert 'id="file-error-1"' in body and 'aria-invalid="true"' in body
    assert _documents(db_session, customer) == []


def test_a_request_over_the_size_limit_gets_413_before_the_body_is_read(app, client, customer, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    token = csrf_token(client, "/documents")
    response = client.post("/documents", data={"csrf_token": token, "file": (io.BytesIO(b"%PDF-" + b"0" * 4096),
                                                                            "big.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    body = response.get_data(as_text=True)  # the form again, the message by the file field
    assert "the largest we accept is 15 MB" in body and 'id="file-error-1"' in body


def test_customers_see_only_their_own_files(client, db_session, customer):
    _upload(client, TRANSCRIPT, "mine.pdf")
    (document,) = _documents(db_session, customer)
    assert client.get(f"/documents/{document.id}/file").data == TRANSCRIPT
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, make_user(db_session, "customer").email)
    assert client.get(f"/documents/{document.id}/file").status_code == 404
    assert client.get(f"/staff/documents/{document.id}").status_code == 403


def test_every_staff_read_is_in_the_audit_log(client, db_session, customer):
    _upload(client, TRANSCRIPT, "mine.pdf")
    (document,) = _documents(db_session, customer)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    csr = make_user(db_session, "csr")
    login(client, csr.email)
    page = client.get(f"/staff/documents/{document.id}").get_data(as_text=True)
    assert "$31,212.50" in page and "ADJUSTED GROSS INCOME" in page  # every figure beside its line
    before = db_session.scalar(select(func.count()).select_from(AuditRecord).where(
        AuditRecord.action == "document.viewed", AuditRecord.object_id == str(document.id)))
    response = client.get(f"/staff/documents/{document.id}/file?reason=checking+income")
    assert response.status_code == 200 and response.data == TRANSCRIPT
    assert response.headers["Cache-Control"] == "no-store"
    record = db_session.scalar(select(AuditRecord).where(AuditRecord.action == "document.viewed",
                                                         AuditRecord.object_id == str(document.id))
                               .order_by(AuditRecord.id.desc()))
    assert record.actor_id == csr.id and record.reason == "checking income"
    assert db_session.scalar(select(func.count()).select_from(AuditRecord).where(
        AuditRecord.action == "document.viewed", AuditRecord.object_id == str(document.id))) == before + 1


def test_rotate_key_re_encrypts_every_file_and_they_stay_readable(app, client, db_session, customer, monkeypatch):
    _upload(client, TRANSCRIPT, "mine.pdf")
    (document,) = _documents(db_session, customer)
    new_key = Fernet.generate_key().decode()
    monkeypatch.setitem(app.config, "DOCUMENT_KEY", f"{new_key},{TEST_DOCUMENT_KEY}")
    result = app.test_cli_runner().invoke(args=["documents", "rotate-key"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["rewritten"] >= 1
    monkeypatch.setitem(app.config, "DOCUMENT_KEY", new_key)  # the old key is gone
    assert client.get(f"/documents/{document.id}/file").data == TRANSCRIPT
    again = json.loads(app.test_cli_runner().invoke(args=["documents", "rotate-key"]).output)
    assert again["rewritten"] == 0


def test_staff_see_a_page_with_the_source_line_boxed_and_the_view_is_logged(client, db_session, customer):
    _upload(client, TRANSCRIPT, "mine.pdf")
    (document,) = _documents(db_session, customer)
    assert client.get(f"/staff/documents/{document.id}/pages/1.png").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    csr = make_user(db_session, "csr")
    login(client, csr.email)
    page = client.get(f"/staff/documents/{document.id}/pages/1?figure=adjusted_gross_income").get_data(as_text=True)
    assert "ADJUSTED GROSS INCOME" in page and 'alt="Page 1 of the document' in page
    image = client.get(f"/staff/documents/{document.id}/pages/1.png?figure=adjusted_gross_income")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    record = db_session.scalar(select(AuditRecord).where(AuditRecord.action == "document.viewed",
                                                         AuditRecord.object_id == str(document.id))
                               .order_by(AuditRecord.id.desc()))
    assert record.actor_id == csr.id and record.reason == "page 1"
    assert client.get(f"/staff/documents/{document.id}/pages/9.png").status_code == 404


def _views(db_session, document_id):
    return db_session.scalars(select(AuditRecord).where(AuditRecord.action == "document.viewed",
                                                        AuditRecord.object_id == str(document_id))
                              .order_by(AuditRecord.id)).all()


def test_seeing_the_extracted_text_is_an_audited_view_and_the_file_asks_why(client, db_session, customer):
    _upload(client, TRANSCRIPT, "mine.pdf")
    (document,) = _documents(db_session, customer)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    csr = make_user(db_session, "csr")
    login(client, csr.email)
    page = client.get(f"/staff/documents/{document.id}").get_data(as_text=True)
    assert "ADJUSTED GROSS INCOME" in page
    (record,) = _views(db_session, document.id)
    assert record.actor_id == csr.id and record.details["part"] == "extracted text"

    response = client.get(f"/staff/documents/{document.id}/file")  # no reason: asked for one, no file
    assert response.status_code == 200 and response.data != TRANSCRIPT
    assert "Why you open the file" in response.get_data(as_text=True)
    empty = client.get(f"/staff/documents/{document.id}/file?reason=+")
    assert empty.status_code == 422 and "Say why you open the file." in empty.get_data(as_text=True)
    assert len(_views(db_session, document.id)) == 1
    opened = client.get(f"/staff/documents/{document.id}/file?reason=checking+income")
    assert opened.data == TRANSCRIPT and _views(db_session, document.id)[-1].reason == "checking income"


def test_the_application_page_panel_of_documents_is_an_audited_view(app, db_session, clock):
    from tests.applications.helpers import make_world, transcript

    world = make_world(app, db_session, clock)
    application_id = world.start().json["id"]
    document_id = world.upload(application_id, transcript()).json["id"]
    staff = app.test_client()
    login(staff, world.csr.email)
    page = staff.get(f"/staff/applications/{application_id}").get_data(as_text=True)
    assert "$36,000.00" in page  # the figures read from the document
    (record,) = _views(db_session, document_id)
    assert record.actor_id == world.csr.id and record.reason.startswith("review of application")
    assert record.details["part"] == "extracted text"
