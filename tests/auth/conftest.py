"""Sign-in tests that need an app configured another way (production, behind a proxy), sharing the
test's transaction and clock."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pyotp
import pytest

from tests.conftest import TEST_REDIS_URL, post_form


@pytest.fixture
def other_app(app, database_url, db_session, clock):
    """`other_app(**config)`: an app with that config on the test's own transaction and clock."""
    from app import create_app
    from core.database import db
    from tests.conftest import _isolated_client_class, test_config

    made = []

    def build(**extra):
        variant = create_app(test_config(database_url, **extra))
        variant.test_client_class = _isolated_client_class()
        variant.extensions["assist.clock"] = clock
        db.bind_to_connection(variant, db.state(app).connection)
        made.append(variant)
        return variant

    yield build
    for variant in made:
        db.bind_to_connection(variant, None)
        db.engine(variant).dispose()


@pytest.fixture
def production_app(other_app):
    """ASSIST_ENV=production (two-factor required for staff), cookies usable by the test client."""
    return other_app(ASSIST_ENV="production", REDIS_URL=TEST_REDIS_URL, RATELIMIT_STORAGE_URI="memory://",
                     SESSION_COOKIE_SECURE=False, SESSION_COOKIE_NAME="assist_session",
                     PASSWORD_HASHING=None)


def enrol(client, clock):
    """Set up two-factor sign-in on the page as a person would; returns the secret and recovery codes."""
    page = post_form(client, "/account/two-factor", {"action": "start"}, token_from="/account/two-factor")
    page = page.get_data(as_text=True)
    assert "<svg" in page  # the QR code
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    code = pyotp.TOTP(secret).at(clock.now())
    page = post_form(client, "/account/two-factor", {"action": "confirm", "code": code},
                     token_from="/account/two-factor").get_data(as_text=True)
    codes = re.findall(r"<li><code>([0-9a-f]{8}-[0-9a-f]{8})</code></li>", page)
    assert len(codes) == 10
    return secret, codes


@contextmanager
def counting_hasher(monkeypatch):
    """Count the password hasher's calls: the work that makes a sign-in slow."""
    from auth import service

    calls = {"hash": 0, "verify": 0}
    real = service._hasher

    class Counting:
        def hash(self, password):
            calls["hash"] += 1
            return real.hash(password)

        def verify(self, hashed, password):
            calls["verify"] += 1
            return real.verify(hashed, password)

        def check_needs_rehash(self, hashed):
            return real.check_needs_rehash(hashed)

    monkeypatch.setattr(service, "_hasher", Counting())
    yield calls


def client_at(app, address: str | None = None, forwarded_for: str | None = None):
    """A test client whose requests come from `address` (the socket peer), optionally through a
    proxy that says the client was `forwarded_for`."""
    client = app.test_client()
    if address:
        client.environ_base["REMOTE_ADDR"] = address
    if forwarded_for:
        client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client
