"""Issue 12, item 9: the two-factor step is a server-side row that ends with the password, times
out in minutes and counts wrong codes; and item 17: a sign-in in a browser ends its earlier session."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pyotp
import pytest
from sqlalchemy import select

from tests.auth.conftest import client_at, enrol
from tests.conftest import PASSWORD, login, post_form
from tests.factories import make_user

ATTACKER = "203.0.113.66"


@pytest.fixture
def enrolled_csr(app, db_session, clock):
    clock.freeze(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))
    csr = make_user(db_session, "csr")
    browser = app.test_client()
    login(browser, csr.email)
    secret, codes = enrol(browser, clock)
    post_form(browser, "/logout")
    clock.advance(timedelta(seconds=31))
    return csr, secret, codes


def _code(secret, clock):
    return pyotp.TOTP(secret).at(clock.now())


def _half_signed_in(app, email, password=PASSWORD, address=None):
    browser = client_at(app, address)
    response = post_form(browser, "/login", {"email": email, "password": password})
    assert response.location == "/login/verify"
    return browser


def test_a_password_change_ends_a_half_finished_sign_in(app, db_session, clock, enrolled_csr):
    csr, secret, _codes = enrolled_csr
    attacker = _half_signed_in(app, csr.email, address=ATTACKER)  # knew the old password, not the phone
    # The owner notices and changes the password.
    owner = app.test_client()
    post_form(owner, "/login", {"email": csr.email, "password": PASSWORD})
    post_form(owner, "/login/verify", {"code": _code(secret, clock)})
    new = "a much better passphrase now"
    assert post_form(owner, "/account/password", {"current_password": PASSWORD, "new_password": new,
                                                  "password_confirm": new}).status_code == 302
    clock.advance(timedelta(seconds=31))
    # Later the attacker has a valid code (shoulder-surfed, or a phished one).
    response = post_form(attacker, "/login/verify", {"code": _code(secret, clock)}, token_from="/login")
    assert response.status_code == 302 and response.location == "/login"
    assert attacker.get("/staff/outbox").status_code == 302


def test_a_password_reset_ends_a_half_finished_sign_in(app, db_session, clock, enrolled_csr):
    from auth import service

    csr, secret, _codes = enrolled_csr
    attacker = _half_signed_in(app, csr.email, address=ATTACKER)
    with app.test_request_context():
        service.admin_reset_password(db_session, csr, "suspected phishing")
    db_session.flush()
    response = post_form(attacker, "/login/verify", {"code": _code(secret, clock)}, token_from="/login")
    assert response.location == "/login"
    assert attacker.get("/staff/outbox").status_code == 302


def test_the_two_factor_step_times_out_in_minutes(app, db_session, clock, enrolled_csr):
    csr, secret, _codes = enrolled_csr
    browser = _half_signed_in(app, csr.email)
    clock.advance(timedelta(minutes=6))
    response = post_form(browser, "/login/verify", {"code": _code(secret, clock)}, token_from="/login")
    assert response.location == "/login"
    assert "Sign in again" in browser.get("/login").get_data(as_text=True)
    assert browser.get("/staff/outbox").status_code == 302


def test_the_step_lives_on_the_server_and_the_cookie_names_no_user(app, db_session, clock, enrolled_csr):
    from auth.models import PendingSignIn

    csr, _secret, _codes = enrolled_csr
    browser = _half_signed_in(app, csr.email)
    with browser.session_transaction() as cookie:
        pending = cookie["pending_2fa"]
    assert isinstance(pending, str) and str(csr.id) != pending and csr.email not in pending
    row = db_session.scalar(select(PendingSignIn).where(PendingSignIn.user_id == csr.id))
    assert row is not None and row.ended_at is None and pending not in (row.secret_hash,)


def test_wrong_codes_end_the_step_and_count_towards_lock_out(app, db_session, clock, enrolled_csr):
    csr, secret, _codes = enrolled_csr
    attacker = _half_signed_in(app, csr.email, address=ATTACKER)
    for n in range(4):
        page = post_form(attacker, "/login/verify", {"code": "000000"}, token_from="/login")
        assert page.status_code == 200 and "That code is not right" in page.get_data(as_text=True)
    response = post_form(attacker, "/login/verify", {"code": "000000"}, token_from="/login")
    assert response.location == "/login"  # fifth wrong code: the step is over
    # ... and those five count like wrong passwords: this address must wait, even with the password.
    again = post_form(attacker, "/login", {"email": csr.email, "password": PASSWORD})
    assert again.status_code == 429
    # The owner, elsewhere, is not locked out.
    owner = app.test_client()
    post_form(owner, "/login", {"email": csr.email, "password": PASSWORD})
    assert post_form(owner, "/login/verify", {"code": _code(secret, clock)}).status_code == 302


def test_wrong_codes_at_api_sign_in_count_towards_lock_out(app, db_session, clock, enrolled_csr):
    csr, secret, _codes = enrolled_csr
    api = client_at(app, ATTACKER)
    for _n in range(5):
        response = api.post("/api/v1/auth/login", json={"email": csr.email, "password": PASSWORD, "totp": "123456"})
        assert response.status_code == 401
    response = api.post("/api/v1/auth/login", json={"email": csr.email, "password": PASSWORD,
                                                    "totp": _code(secret, clock)})
    assert response.status_code == 429


# --- item 17: one browser, one session -----------------------------------------------------------

def _copy_cookie(source, target):
    cookie = source.get_cookie("assist_session", domain="assist.test")
    target.set_cookie("assist_session", cookie.value, domain="assist.test")


def test_signing_in_as_another_user_ends_the_earlier_session(app, client, db_session):
    from auth.models import UserSession

    first = make_user(db_session)
    second = make_user(db_session)
    login(client, first.email)
    earlier = app.test_client()
    _copy_cookie(client, earlier)  # what was left of the first person's session in this browser
    assert earlier.get("/account").status_code == 200
    login(client, second.email)  # the next person at the library computer
    assert second.email in client.get("/account").get_data(as_text=True)
    response = earlier.get("/account")
    assert response.status_code == 302 and response.location.startswith("/login")
    row = db_session.scalars(select(UserSession).where(UserSession.user_id == first.id)).one()
    assert row.revoked_at is not None and row.revoked_reason == "another user signed in in this browser"


def test_starting_a_two_factor_sign_in_ends_the_earlier_session_too(app, client, db_session, clock, enrolled_csr):
    csr, _secret, _codes = enrolled_csr
    customer = make_user(db_session)
    login(client, customer.email)
    earlier = app.test_client()
    _copy_cookie(client, earlier)
    assert post_form(client, "/login", {"email": csr.email, "password": PASSWORD}).location == "/login/verify"
    assert earlier.get("/account").status_code == 302
    assert client.get("/account").status_code == 302  # nobody is signed in until the code
