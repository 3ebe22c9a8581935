"""Test set-up: one migrated database per run, a rolled-back transaction per test.

Set DATABASE_URL to run on PostgreSQL (the run resets that database's public schema first);
otherwise every run gets a new SQLite file. Tests that need real commits seen by other
processes (workers, concurrent writers, the browser) ask for `fresh_database_url`, a database
of their own: a new SQLite file, or a new PostgreSQL schema dropped afterwards.

Only the standard library and pytest are imported at module level, so a package's tests can
run with `--confcutdir` while the app is being edited.
"""
from __future__ import annotations

import os
import re
import secrets
import tempfile
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_DOCUMENT_KEY = "Z2hvc3RzLWFyZS1ub3QtcmVhbC1idXQtdGhpcy1rZXk="  # 32 bytes, test only
TEST_SECRET_KEY = "test-secret-key-" + "x" * 32
# Tests that need Redis use this database; TEST_REDIS_URL lets parallel runs keep apart.
# Argon2 at production cost was half the suite's time; servers the tests start inherit this.
# tests/auth/test_accounts.py keeps one sign-in on the production parameters.
os.environ["ASSIST_PASSWORD_HASHING"] = "cheap"
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _base_url() -> str | None:
    url = os.environ.get("DATABASE_URL")
    if url and url.startswith("postgres"):
        from core.config import _normalize_database_url

        return _normalize_database_url(url)
    return None


def _schema_url(base: str, schema: str | None) -> str:
    if not schema:
        return base
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def pytest_configure(config):
    """Property tests have no time limit per example: tests never assert on wall-clock time, and a
    busy machine (CI, two suites at once) makes a fast example slow now and then."""
    from hypothesis import HealthCheck, settings

    settings.register_profile("assist", deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("assist")


APP_ROLE = "assist_app"


def as_application_role(owner_url: str, schema: str | None = None) -> str:
    """On PostgreSQL the tests connect as production does: as the role that owns nothing.

    Migrations run as the owner (the URL's user) and create the role; the machine's PostgreSQL
    trusts local connections, so the role signs in without a password here.
    """
    from sqlalchemy.engine import make_url

    url = make_url(owner_url).set(username=APP_ROLE, password=None)
    return _schema_url(url.render_as_string(hide_password=False), schema)


def migrate(url: str) -> None:
    from alembic import command

    from app import create_app
    from core.cli import alembic_config

    app = create_app(test_config(url))
    command.upgrade(alembic_config(app), "head")
    from core.database import db

    db.engine(app).dispose()


def test_config(url: str, **extra) -> dict:
    upload = Path(os.environ.get("PYTEST_UPLOAD_DIR") or tempfile.gettempdir()) / "assist-test-uploads"
    config = {
        "ASSIST_ENV": "test",
        "TESTING": True,
        "DATABASE_URL": url,
        "SECRET_KEY": TEST_SECRET_KEY,
        "DOCUMENT_KEY": TEST_DOCUMENT_KEY,
        "UPLOAD_DIR": str(upload),
        "REDIS_URL": None,
        "MAIL_SERVER": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": "assist.test",
        "BASE_URL": "https://assist.test",
        "JOBS_RAISE": True,
    }
    config.update(extra)
    return config


test_config.__test__ = False  # a helper, not a test


@pytest.fixture(scope="session", autouse=True)
def _instance_dir(tmp_path_factory):
    """Keep generated development keys out of the checkout."""
    path = tmp_path_factory.mktemp("instance")
    os.environ["ASSIST_INSTANCE_PATH"] = str(path)
    os.environ["PYTEST_UPLOAD_DIR"] = str(tmp_path_factory.mktemp("uploads"))
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("ASSIST_ENV", None)
    yield path


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    """`make test` compiles the catalogues; a direct pytest run gets them compiled here too."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as src:
                catalog = read_po(src)
            with mo.open("wb") as out:
                write_mo(out, catalog)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, _instance_dir) -> str:
    base = _base_url()
    if base is None:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'assist.db'}"
    else:
        from sqlalchemy import create_engine, text

        engine = create_engine(base)
        with engine.begin() as conn:
            for (schema,) in conn.execute(text(
                    "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'assist_t_%'")).all():
                if schema not in _FRESH_SCHEMAS:  # left by an earlier run, not one this run is using
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        migrate(base)
        return as_application_role(base)
    migrate(url)
    return url


_FRESH_SCHEMAS: set[str] = set()  # the PostgreSQL schemas this run made


def fresh_database(directory: Path, as_owner: bool = False):
    """Create a migrated database of its own; yields its URL, then removes it."""
    base = _base_url()
    if base is None:
        url = f"sqlite:///{directory / 'fresh.db'}"
        migrate(url)
        yield url
        return
    from sqlalchemy import create_engine, text

    schema = f"assist_t_{uuid.uuid4().hex[:12]}"
    _FRESH_SCHEMAS.add(schema)
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _schema_url(base, schema)
    migrate(url)
    yield url if as_owner else as_application_role(base, schema)
    with engine.begin() as conn:  # IF EXISTS: the session's set-up clears stale schemas, a session one's too
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def fresh_database_url(tmp_path):
    """A migrated database of this test's own, for work that really commits."""
    yield from fresh_database(tmp_path)


@pytest.fixture
def fresh_owner_database_url(tmp_path):
    """Like `fresh_database_url`, connecting as the owner of the tables (to run migrations)."""
    yield from fresh_database(tmp_path, as_owner=True)


def _isolated_client_class():
    """A test client whose requests get their own app context, as in production.

    Flask reuses an app context that a test has pushed, which would share `g` (and so the
    signed-in user) between requests. The test's own session is flushed before each request and
    expired after it, so the test sees what the request committed.
    """
    from flask.globals import _cv_app
    from flask.testing import FlaskClient

    from core.database import db

    class IsolatedClient(FlaskClient):
        def open(self, *args, **kwargs):
            outer = _cv_app.get(None)
            test_session = db.session() if outer is not None else None
            if test_session is not None:
                test_session.flush()
            token = _cv_app.set(None)
            try:
                return super().open(*args, **kwargs)
            finally:
                _cv_app.reset(token)
                if test_session is not None:
                    test_session.expire_all()

    return IsolatedClient


@pytest.fixture(scope="session")
def app(database_url):
    from app import create_app

    application = create_app(test_config(database_url))
    application.test_client_class = _isolated_client_class()
    yield application
    from core.database import db

    db.engine(application).dispose()


@pytest.fixture
def db_session(app):
    """The test's transaction: every session of the app joins it, and it is rolled back after."""
    from core.database import db
    from core.extensions import limiter

    limiter.reset()
    clock = app.extensions["assist.clock"]
    clock.unfreeze()
    connection = db.engine(app).connect()
    transaction = connection.begin()
    db.bind_to_connection(app, connection)
    ctx = app.app_context()
    ctx.push()
    try:
        yield db.session()
    finally:
        db.session.remove()
        ctx.pop()
        db.bind_to_connection(app, None)
        if transaction.is_active:
            transaction.rollback()
        connection.close()
        clock.unfreeze()


@pytest.fixture
def clock(app, db_session):
    return app.extensions["assist.clock"]


@pytest.fixture
def client(app, db_session):
    return app.test_client()


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/") -> str:
    """The CSRF token of the client's session, read from a page as a browser would."""
    response = client.get(path)
    match = _CSRF.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path} ({response.status_code})"
    return match.group(1)


def post_form(client, path: str, data: dict | None = None, *, token_from: str = "/", **kwargs):
    """POST a form the way the page does, with the session's CSRF token."""
    payload = dict(data or {})
    payload.setdefault("csrf_token", csrf_token(client, token_from))
    return client.post(path, data=payload, **kwargs)


PASSWORD = "correct horse battery staple"


def login(client, email: str, password: str = PASSWORD):
    response = post_form(client, "/login", {"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


def random_email(prefix: str = "person") -> str:
    return f"{prefix}-{secrets.token_hex(4)}@example.com"
