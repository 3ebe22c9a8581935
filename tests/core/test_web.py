"""What every page gets: error pages, security headers, CSRF, language choice."""
from __future__ import annotations

from tests.conftest import TEST_REDIS_URL

import pytest

from tests.conftest import csrf_token, login, post_form, test_config
from tests.factories import make_user


@pytest.fixture(scope="module")
def failing_app(database_url):
    """An app with routes that fail on purpose, built before it serves its first request."""
    from app import create_app
    from core.access import public
    from core.errors import Conflict

    app = create_app(test_config(database_url, PROPAGATE_EXCEPTIONS=False, SERVER_NAME=None))

    @app.get("/boom")
    @public
    def boom():
        raise RuntimeError("secret internal detail")

    @app.get("/api/v1/boom")
    @public
    def api_boom():
        raise RuntimeError("secret internal detail")

    @app.get("/api/v1/conflict")
    @public
    def api_conflict():
        raise Conflict("Someone else decided this application first.")

    yield app
    from core.database import db

    db.engine(app).dispose()


def test_a_server_error_shows_a_page_without_a_stack_trace(failing_app):
    response = failing_app.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in body
    assert "secret internal detail" not in body and "Traceback" not in body
    assert 'role="alert"' in body


def test_api_errors_have_one_shape(failing_app):
    client = failing_app.test_client()
    response = client.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.json["error"]["code"] == "server_error"
    assert "secret" not in response.get_data(as_text=True)
    response = client.get("/api/v1/conflict")
    assert response.status_code == 409
    assert response.json == {"error": {"code": "conflict", "message": "Someone else decided this application first.",
                                       "fields": {}}}
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_not_found_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_forbidden_page_for_a_signed_in_customer(client, db_session):
    user = make_user(db_session, "customer")
    login(client, user.email)
    response = client.get("/staff/outbox")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused(client):
    response = client.post("/language", data={"language": "es"})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert "assist_lang" not in response.headers.get("Set-Cookie", "")


def test_an_oversized_request_gets_413_before_the_body_is_read(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/language", data=b"x" * (limit + 1), content_type="application/octet-stream")
    assert response.status_code == 413
    assert "The file is too large" in response.get_data(as_text=True)


def test_too_many_requests_gives_429_with_retry_after(client):
    token = csrf_token(client)
    form = {"email": "nobody@example.com", "password": "wrong password", "csrf_token": token}
    # From 20 addresses, so the per-account limit (not the lock-out of one address) answers.
    codes = [client.post("/login", data=form, environ_base={"REMOTE_ADDR": f"192.0.2.{n}"}).status_code
             for n in range(20)]
    assert codes == [200] * 20
    response = client.post("/login", data=form, environ_base={"REMOTE_ADDR": "192.0.2.99"})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many tries" in response.get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/")
    headers = response.headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in headers  # only in production, behind HTTPS
    assert "no-store" not in headers.get("Cache-Control", "")


def test_signed_in_pages_are_not_stored(client, db_session):
    user = make_user(db_session, "customer")
    login(client, user.email)
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_production_sends_hsts(monkeypatch, tmp_path):
    from cryptography.fernet import Fernet

    from app import create_app

    monkeypatch.setenv("ASSIST_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("ASSIST_ENV", "production")
    monkeypatch.delenv("ASSIST_PASSWORD_HASHING")
    monkeypatch.setenv("SECRET_KEY", "p" * 40 + "9x")
    monkeypatch.setenv("DOCUMENT_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("REDIS_URL", TEST_REDIS_URL)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    monkeypatch.setenv("BASE_URL", "https://assist.example.org")
    app = create_app({"RATELIMIT_STORAGE_URI": "memory://"})
    response = app.test_client().get("/static/assist.css")
    response.close()
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    from core.database import db

    db.engine(app).dispose()


def test_language_follows_the_browser(client):
    response = client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    body = response.get_data(as_text=True)
    assert '<html lang="es"' in body
    assert "Ayuda para pagar su factura" in body


def test_language_switch_is_remembered(client):
    token = csrf_token(client)
    response = client.post("/language", data={"language": "es", "next": "/", "csrf_token": token})
    assert response.status_code == 302 and response.location == "/"
    body = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="es"' in body
    post_form(client, "/language", {"language": "en", "next": "/"})
    assert '<html lang="en"' in client.get("/").get_data(as_text=True)


def test_language_switch_never_redirects_off_site(client):
    response = post_form(client, "/language", {"language": "es", "next": "https://evil.example/"})
    assert response.location == "/"
    response = post_form(client, "/language", {"language": "es", "next": "//evil.example/x"})
    assert response.location == "/"


def test_a_signed_in_persons_language_is_saved(client, db_session):
    from auth.models import User

    user = make_user(db_session, "customer")
    login(client, user.email)
    post_form(client, "/language", {"language": "es", "next": "/"})
    assert db_session.get(User, user.id).language == "es"
