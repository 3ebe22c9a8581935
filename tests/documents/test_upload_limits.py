"""A file over the size limit (issue 13): the form again with the message by the file field,
naming the per-file limit (`MAX_UPLOAD_MB`), on every upload form and in the API; the request
limit sits a little above it, so a file at the limit is never refused for the form around it."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from core.uploads import FORM_ROOM_BYTES, MIB, request_limit
from documents.models import Document
from tests.applications.helpers import make_world
from tests.conftest import csrf_token, login
from tests.factories import make_user


def _limit(app, monkeypatch, mb: int = 1) -> None:
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", mb)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", request_limit(mb))


def _pdf(size: int) -> bytes:
    return b"%PDF-1.4\n" + b"0" * (size - 9)


def _multipart(fields: dict, data: bytes, name: str) -> tuple[bytes, str]:
    """The form as a browser sends it, encoded in memory (a large body does not spool to a file)."""
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    form = MultiDict(fields)
    form.add("file", FileStorage(io.BytesIO(data), filename=name, content_type="application/pdf"))
    boundary, body = encode_multipart(form)
    return body, f"multipart/form-data; boundary={boundary}"


def _post_documents(client, data: bytes, name: str = "big.pdf"):
    body, content_type = _multipart({"csrf_token": csrf_token(client, "/documents")}, data, name)
    return client.post("/documents", data=body, content_type=content_type)


def _post_api(world, application_id: int, data: bytes, name: str = "big.pdf"):
    body, content_type = _multipart({"requirement": "income"}, data, name)
    return world.app.test_client().post(f"/api/v1/applications/{application_id}/documents", data=body,
                                        content_type=content_type, headers=world.customer_headers)


@pytest.fixture
def customer(client, db_session):
    user = make_user(db_session, "customer")
    login(client, user.email)
    return user


def _stored(db_session, owner) -> list:
    return list(db_session.scalars(select(Document).where(Document.owner_id == owner.id)))


def test_the_request_limit_is_the_file_limit_and_room_for_the_form(tmp_path):
    from core.config import load_config

    config = load_config(tmp_path, {"MAX_UPLOAD_MB": "5"})
    assert config["MAX_UPLOAD_MB"] == 5
    assert config["MAX_CONTENT_LENGTH"] == 5 * MIB + FORM_ROOM_BYTES
    assert FORM_ROOM_BYTES < MIB // 20  # the request limit still reads "5 MB" to one decimal


def test_a_file_far_over_the_limit_returns_to_the_documents_page_with_the_error_by_the_field(
        app, client, db_session, customer, monkeypatch):
    _limit(app, monkeypatch)
    response = _post_documents(client, _pdf(2 * MIB))
    body = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "<h1>My documents</h1>" in body and 'action="/documents"' in body  # the form, not an error page
    assert "The file is 2 MB; the largest we accept is 1 MB." in body
    assert 'id="file-error-1"' in body and 'aria-invalid="true"' in body
    assert 'aria-describedby="file-hint file-error-1"' in body
    assert "PDF, JPEG, PNG or HEIC, up to 1 MB" in body
    assert _stored(db_session, customer) == []


def test_a_file_just_over_the_file_limit_inside_the_request_limit_is_refused_by_the_field(
        app, client, db_session, customer, monkeypatch):
    _limit(app, monkeypatch)
    response = _post_documents(client, _pdf(MIB + 5 * 1024))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The file is 1.01 MB; the largest we accept is 1 MB." in body and 'id="file-error-1"' in body
    assert _stored(db_session, customer) == []


def test_a_file_at_the_limit_is_taken_with_its_form(app, client, db_session, customer, monkeypatch):
    _limit(app, monkeypatch)
    response = _post_documents(client, _pdf(MIB), "exactly.pdf")
    assert response.status_code == 302
    assert [d.original_filename for d in _stored(db_session, customer)] == ["exactly.pdf"]


def test_the_message_is_in_spanish_on_a_spanish_page(app, client, db_session, customer, monkeypatch):
    _limit(app, monkeypatch)
    customer.language = "es"
    db_session.flush()
    body = _post_documents(client, _pdf(3 * MIB)).get_data(as_text=True)
    assert "El archivo pesa 3 MB; lo máximo que aceptamos es 1 MB." in body and "Mis documentos" in body


def test_the_page_says_what_it_checks_before_sending(app, client, customer, monkeypatch):
    _limit(app, monkeypatch)
    body = client.get("/documents").get_data(as_text=True)
    assert f'data-max-bytes="{MIB}"' in body and f'data-max-request-bytes="{request_limit(1)}"' in body


def test_the_api_answers_413_naming_the_file_and_422_just_over_the_file_limit(app, db_session, clock, monkeypatch):
    world = make_world(app, db_session, clock)
    created = world.start()
    assert created.status_code == 201, created.json
    _limit(app, monkeypatch)
    far = _post_api(world, created.json["id"], _pdf(2 * MIB))
    assert far.status_code == 413
    assert far.json["error"]["code"] == "too_large"
    assert far.json["error"]["fields"]["file"] == ["The file is 2 MB; the largest we accept is 1 MB."]
    near = _post_api(world, created.json["id"], _pdf(MIB + 5 * 1024))
    assert near.status_code == 422
    assert near.json["error"]["fields"]["file"] == ["The file is 1.01 MB; the largest we accept is 1 MB."]
    assert _post_api(world, created.json["id"], _pdf(MIB), "exactly.pdf").status_code == 201


def test_another_page_over_the_limit_gets_the_error_page_naming_the_limit(app, client, db_session, monkeypatch):
    _limit(app, monkeypatch)
    response = client.post("/language", data=b"x" * (2 * MIB), content_type="application/octet-stream")
    body = response.get_data(as_text=True)
    assert response.status_code == 413 and "The file is too large" in body
    assert "the largest we accept is 1 MB" in body


def test_the_application_documents_step_names_the_file_limit_on_both_sides_of_the_request_limit(
        app, db_session, clock, monkeypatch):
    from tests.eligibility.assistance.test_customer_uploads import _upload

    world = make_world(app, db_session, clock)
    application_id = world.start(("CARE",)).json["id"]
    page = app.test_client()
    login(page, world.customer.email)
    _limit(app, monkeypatch)
    path = f"/applications/{application_id}/documents"
    far = _upload(page, application_id, [(_pdf(2 * MIB), "big.pdf")], path=path)
    assert far.status_code == 413
    assert "The file is 2 MB; the largest we accept is 1 MB." in far.get_data(as_text=True)
    near = _upload(page, application_id, [(_pdf(MIB + 5 * 1024), "big.pdf")], path=path)
    body = near.get_data(as_text=True)
    assert near.status_code == 422 and 'id="file-error-1"' in body
    assert "The file is 1.01 MB; the largest we accept is 1 MB." in body
