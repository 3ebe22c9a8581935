"""Sessions and tokens that can be revoked, timeouts, two-factor sign-in, lock-out, API sign-in."""
from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from tests.auth.conftest import enrol
from tests.conftest import PASSWORD, csrf_token, login, post_form
from tests.factories import make_user


def _api_login(client, email, password=PASSWORD, **extra):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password, **extra})


def _copy_cookie(source, target):
    """What an attacker who copied the session cookie would hold."""
    cookie = source.get_cookie("assist_session", domain="assist.test")
    target.set_cookie("assist_session", cookie.value, domain="assist.test")


def test_a_copied_session_cookie_stops_working_after_logout(app, client, db_session):
    user = make_user(db_session)
    login(client, user.email)
    thief = app.test_client()
    _copy_cookie(client, thief)
    assert thief.get("/account").status_code == 200
    post_form(client, "/logout")
    assert client.get("/account").status_code == 302
    response = thief.get("/account")
    assert response.status_code == 302 and response.location.startswith("/login")


def test_a_bearer_token_stops_working_after_logout(client, db_session):
    user = make_user(db_session)
    token = _api_login(client, user.email).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/auth/me", headers=headers).json == {"email": user.email, "role": "customer"}
    assert client.post("/api/v1/auth/logout", headers=headers).json == {"revoked": True}
    response = client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"


def test_a_password_change_ends_every_session_and_token(app, client, db_session):
    user = make_user(db_session)
    login(client, user.email)
    other_device = app.test_client()
    login(other_device, user.email)
    token = _api_login(app.test_client(), user.email).json["token"]
    new = "a completely new passphrase"
    response = post_form(client, "/account/password", {"current_password": PASSWORD, "new_password": new,
                                                         "password_confirm": new})
    assert response.status_code == 302
    assert other_device.get("/account").status_code == 302
    assert client.get("/account").status_code == 302
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    login(client, user.email, new)


def test_deactivation_ends_every_session_and_token(app, client, db_session):
    user = make_user(db_session, "csr")
    login(client, user.email)
    token = _api_login(app.test_client(), user.email).json["token"]
    admin_client = app.test_client()
    admin = make_user(db_session, "admin")
    login(admin_client, admin.email)
    post_form(admin_client, f"/admin/users/{user.id}", {"action": "deactivate", "reason": "left", "confirm": "yes"})
    assert client.get("/staff/outbox").status_code == 302
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


@pytest.mark.parametrize("role, idle_ok, idle_too_long", [
    ("customer", timedelta(minutes=59), timedelta(minutes=61)),
    ("csr", timedelta(minutes=29), timedelta(minutes=31)),
])
def test_idle_sessions_end(client, clock, db_session, role, idle_ok, idle_too_long):
    from datetime import datetime, timezone

    clock.freeze(datetime(2026, 3, 2, 17, 0, tzinfo=timezone.utc))
    user = make_user(db_session, role)
    login(client, user.email)
    clock.advance(idle_ok)
    assert client.get("/account").status_code == 200
    clock.advance(idle_too_long)
    response = client.get("/account")
    assert response.status_code == 302
    assert "session ended" in client.get(response.location).get_data(as_text=True)


def test_sessions_end_after_twelve_hours_however_active(client, clock, db_session):
    from datetime import datetime, timezone

    clock.freeze(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))
    user = make_user(db_session)
    login(client, user.email)
    for _ in range(24):  # active every 29 minutes for 11.6 hours
        clock.advance(timedelta(minutes=29))
        assert client.get("/account").status_code == 200
    clock.advance(timedelta(minutes=25))
    assert client.get("/account").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_answer(client, db_session):
    user = make_user(db_session)
    wrong = _api_login(client, user.email, "not the password")
    unknown = _api_login(client, "nobody-at-all@example.com", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json
    page_wrong = post_form(client, "/login", {"email": user.email, "password": "nope nope"}).get_data(as_text=True)
    assert "The email or password is not right." in page_wrong


def test_api_login_returns_a_token_with_its_expiry(client, clock, db_session):
    from datetime import datetime, timezone

    clock.freeze(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))
    user = make_user(db_session, "manager")
    response = _api_login(client, user.email.upper())
    assert response.status_code == 200
    body = response.json
    assert set(body) == {"token", "expires_at", "user"}
    assert body["user"] == {"email": user.email, "role": "manager"}
    assert body["expires_at"].startswith("2026-03-02T20:00:00")


def test_api_calls_on_the_session_cookie_need_the_csrf_header(client, db_session):
    user = make_user(db_session)
    login(client, user.email)
    assert client.post("/api/v1/auth/logout").status_code == 400
    token = csrf_token(client)
    response = client.post("/api/v1/auth/logout", headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.json == {"revoked": True}


def test_bearer_calls_need_no_csrf_token_and_ignore_a_cookie(client, db_session):
    customer = make_user(db_session)
    csr = make_user(db_session, "csr")
    login(client, customer.email)
    token = _api_login(client.application.test_client(), csr.email).json["token"]
    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.json["email"] == csr.email


def test_a_forged_bearer_token_is_refused(client):
    response = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer made-up-token"})
    assert response.status_code == 401


# --- lock-out -------------------------------------------------------------------------------

def test_repeated_failures_lock_the_account_with_a_notice_and_429(client, clock, db_session):
    from datetime import datetime, timezone

    from core.outbox import OutboxMessage

    clock.freeze(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))
    user = make_user(db_session)
    for _ in range(5):
        assert _api_login(client, user.email, "wrong guess").status_code == 401
    response = _api_login(client, user.email)  # even the right password waits
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    page = post_form(client, "/login", {"email": user.email, "password": PASSWORD})
    assert page.status_code == 429 and "Too many failed sign-in attempts" in page.get_data(as_text=True)
    notice = db_session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == user.email,
                                                           OutboxMessage.kind == "auth.locked"))
    assert notice is not None and "we stopped sign-in" in notice.body_text
    clock.advance(timedelta(minutes=16))
    assert _api_login(client, user.email).status_code == 200


def test_logins_are_limited_per_address(client, db_session):
    for n in range(30):
        assert _api_login(client, f"someone-{n}@example.com", "guess").status_code == 401
    response = _api_login(client, "someone-else@example.com", "guess")
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert response.json["error"]["code"] == "rate_limited"


# --- two-factor sign-in ----------------------------------------------------------------------

def _enrol(client, user, clock):
    return enrol(client, clock)


def test_staff_enrol_in_two_factor_and_then_need_a_code(app, client, db_session, clock):
    from datetime import datetime, timezone

    clock.freeze(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))
    csr = make_user(db_session, "csr")
    login(client, csr.email)
    secret, codes = _enrol(client, csr, clock)
    post_form(client, "/logout")

    fresh = app.test_client()
    response = post_form(fresh, "/login", {"email": csr.email, "password": PASSWORD})
    assert response.location == "/login/verify"
    assert fresh.get("/staff/outbox").status_code == 302  # not signed in yet
    assert post_form(fresh, "/login/verify", {"code": "000000"}).status_code == 200
    clock.advance(timedelta(seconds=31))
    response = post_form(fresh, "/login/verify", {"code": pyotp.TOTP(secret).at(clock.now())})
    assert response.status_code == 302
    assert fresh.get("/staff/outbox").status_code == 200

    # A recovery code works once.
    other = app.test_client()
    post_form(other, "/login", {"email": csr.email, "password": PASSWORD})
    assert post_form(other, "/login/verify", {"code": codes[0]}).status_code == 302
    again = app.test_client()
    post_form(again, "/login", {"email": csr.email, "password": PASSWORD})
    assert post_form(again, "/login/verify", {"code": codes[0]}).status_code == 200

    # The API asks for the code too.
    assert _api_login(app.test_client(), csr.email).json["error"]["code"] == "two_factor_required"
    clock.advance(timedelta(seconds=31))
    ok = _api_login(app.test_client(), csr.email, totp=pyotp.TOTP(secret).at(clock.now()))
    assert ok.status_code == 200


def test_a_totp_code_cannot_be_used_twice(app, client, db_session, clock):
    from datetime import datetime, timezone

    clock.freeze(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))
    csr = make_user(db_session, "csr")
    login(client, csr.email)
    secret, _codes = _enrol(client, csr, clock)
    clock.advance(timedelta(seconds=31))
    code = pyotp.TOTP(secret).at(clock.now())
    assert _api_login(app.test_client(), csr.email, totp=code).status_code == 200
    assert _api_login(app.test_client(), csr.email, totp=code).status_code == 401


def test_production_requires_two_factor_for_staff(production_app, db_session, clock):
    csr = make_user(db_session, "csr")
    customer = make_user(db_session, "customer")
    client = production_app.test_client()
    response = post_form(client, "/login", {"email": csr.email, "password": PASSWORD})
    assert response.location == "/account/two-factor"
    response = client.get("/staff/outbox")
    assert response.status_code == 302 and response.location == "/account/two-factor"
    api = _api_login(production_app.test_client(), csr.email)
    assert api.status_code == 403 and api.json["error"]["code"] == "two_factor_setup_required"
    # Customers are not asked.
    assert _api_login(production_app.test_client(), customer.email).status_code == 200
    _enrol(client, csr, clock)
    assert client.get("/staff/outbox").status_code == 200


# --- personal API tokens -------------------------------------------------------------------

def test_staff_make_and_revoke_personal_tokens(client, db_session):
    from auth.models import UserSession

    manager = make_user(db_session, "manager")
    login(client, manager.email)
    page = post_form(client, "/account/tokens", {"name": "nightly report", "days": "30"}).get_data(as_text=True)
    token = re.search(r'<code id="new-token">([^<]+)</code>', page).group(1)
    api = client.application.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/auth/me", headers=headers).json["role"] == "manager"
    row = db_session.scalar(select(UserSession).where(UserSession.name == "nightly report"))
    assert (row.expires_at - row.created_at).days == 30
    post_form(client, f"/account/tokens/{row.id}/revoke")
    assert api.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_customers_cannot_make_personal_tokens(client, db_session):
    user = make_user(db_session)
    login(client, user.email)
    assert post_form(client, "/account/tokens", {"name": "x"}).status_code == 403


@pytest.mark.parametrize("value", ["²", "0", "99999999999999999999", "ninety"])
def test_a_token_lifetime_that_is_no_number_of_days_is_named(client, db_session, value):
    """Garbage in "days" is a 422 by the field, not a 500 and not a token of some other length."""
    from auth.models import UserSession

    login(client, make_user(db_session, "manager").email)
    response = post_form(client, "/account/tokens", {"name": "nightly", "days": value}, token_from="/account")
    assert response.status_code == 422 and 'id="days-error-1"' in response.get_data(as_text=True)
    assert db_session.scalar(select(UserSession).where(UserSession.name == "nightly")) is None
