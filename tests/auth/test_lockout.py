"""Issue 12, item 12: limits that cannot be turned against users.

Behind the utility's proxy one client must not lock everyone out; wrong passwords lock an email
only for the address they come from (the owner elsewhere signs in, and is told); right passwords
never count towards the per-account limit; known and unknown emails get the same answers and
take the same path (the hasher runs once either way).
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.auth.conftest import client_at, counting_hasher
from tests.conftest import PASSWORD, post_form, random_email
from tests.factories import make_user

PROXY = "10.0.0.2"
ATTACKER = "203.0.113.9"
OWNER = "198.51.100.20"


def _api_login(client, email, password=PASSWORD, **extra):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password, **extra})


def test_behind_a_proxy_one_client_does_not_lock_everyone_out(other_app, db_session):
    proxied = other_app(PROXY_COUNT=1)
    user = make_user(db_session, "csr")
    noisy = client_at(proxied, PROXY, forwarded_for=ATTACKER)
    for _n in range(5):
        assert _api_login(noisy, user.email, "guess").status_code == 401
    assert _api_login(noisy, user.email).status_code == 429
    # Everyone else comes through the same proxy, the owner included, and is not affected.
    owner = client_at(proxied, PROXY, forwarded_for=OWNER)
    assert _api_login(owner, user.email).status_code == 200


def test_the_forwarded_address_is_recorded_as_the_client(other_app, db_session):
    from core.audit import AuditRecord

    proxied = other_app(PROXY_COUNT=1)
    user = make_user(db_session)
    # A client may add its own X-Forwarded-For; only the hop our proxy added counts.
    _api_login(client_at(proxied, PROXY, forwarded_for=f"6.6.6.6, {OWNER}"), user.email)
    record = db_session.scalars(select(AuditRecord).where(AuditRecord.action == "session.opened.api",
                                                          AuditRecord.object_id == str(user.id))).one()
    assert record.ip_address == OWNER


def test_without_a_proxy_count_forwarded_headers_are_ignored(app, db_session):
    """PROXY_COUNT=0 (the default): a client cannot dodge the lock-out by sending the header itself."""
    user = make_user(db_session)
    for n in range(5):
        client = client_at(app, ATTACKER, forwarded_for=f"192.0.2.{n}")
        assert _api_login(client, user.email, "guess").status_code == 401
    assert _api_login(client_at(app, ATTACKER, forwarded_for="192.0.2.200"), user.email).status_code == 429


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out(app, db_session):
    from core.outbox import OutboxMessage

    csr = make_user(db_session, "csr")
    attacker = client_at(app, ATTACKER)
    for _n in range(5):
        assert _api_login(attacker, csr.email, "wrong guess").status_code == 401
    assert _api_login(attacker, csr.email).status_code == 429  # slowed, even with the right password
    page = post_form(attacker, "/login", {"email": csr.email, "password": PASSWORD})
    assert page.status_code == 429
    # The owner, at their desk, signs in as usual, on the API and on the page.
    assert _api_login(client_at(app, OWNER), csr.email).status_code == 200
    response = post_form(client_at(app, OWNER), "/login", {"email": csr.email, "password": PASSWORD})
    assert response.status_code == 302 and response.location == "/staff/queue"  # a CSR lands on the queue
    # ... and is told, with the address the guesses came from.
    notice = db_session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == csr.email,
                                                           OutboxMessage.kind == "auth.locked"))
    assert notice is not None and ATTACKER in notice.body_text


def test_the_pair_lock_ends_after_its_time(app, db_session, clock):
    from datetime import datetime, timedelta, timezone

    clock.freeze(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))
    user = make_user(db_session)
    attacker = client_at(app, ATTACKER)
    for _n in range(5):
        _api_login(attacker, user.email, "wrong guess")
    response = _api_login(attacker, user.email)
    assert response.status_code == 429 and 0 < int(response.headers["Retry-After"]) <= 15 * 60
    clock.advance(timedelta(minutes=16))
    assert _api_login(attacker, user.email).status_code == 200


def test_right_passwords_do_not_count_towards_the_per_account_limit(app, db_session):
    user = make_user(db_session)
    for n in range(25):  # a script that signs in often, from a few machines
        response = _api_login(client_at(app, f"192.0.2.{n % 3 + 1}"), user.email)
        assert response.status_code == 200, (n, response.json)


def test_wrong_passwords_from_many_addresses_still_meet_the_per_account_limit(app, db_session):
    user = make_user(db_session)
    for n in range(20):
        assert _api_login(client_at(app, f"192.0.2.{n + 1}"), user.email, "wrong").status_code == 401
    assert _api_login(client_at(app, "192.0.2.99"), user.email, "wrong").status_code == 429


def test_lock_out_answers_alike_for_known_and_unknown_emails(app, db_session, clock):
    from datetime import datetime, timezone

    clock.freeze(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))
    known = make_user(db_session).email
    unknown = random_email("nobody")
    answers = {}
    for email in (known, unknown):
        attacker = client_at(app, ATTACKER)
        tries = [_api_login(attacker, email, "wrong guess") for _n in range(5)]
        assert [r.status_code for r in tries] == [401] * 5
        locked = _api_login(attacker, email)
        page = post_form(attacker, "/login", {"email": email, "password": PASSWORD})
        # Retry-After counts real seconds down (the limiter's window): equal to within the second that passed.
        answers[email] = (locked.status_code, locked.json, int(locked.headers["Retry-After"]), page.status_code,
                          page.get_data(as_text=True).replace(email, "EMAIL"))
    assert answers[known][2] > 800 and abs(answers[known][2] - answers[unknown][2]) <= 1
    assert answers[known][:2] + answers[known][3:4] == answers[unknown][:2] + answers[unknown][3:4] == (
        429, answers[known][1], 429)
    assert answers[known][1] == answers[unknown][1]


def test_known_and_unknown_emails_take_the_same_path_at_sign_in(app, db_session, monkeypatch):
    user = make_user(db_session)
    with counting_hasher(monkeypatch) as calls:
        wrong = _api_login(client_at(app, ATTACKER), user.email, "not the password")
        known = dict(calls)
        calls.update(hash=0, verify=0)
        unknown = _api_login(client_at(app, ATTACKER), random_email("nobody"), "not the password")
        assert dict(calls) == known == {"hash": 0, "verify": 1}
    assert wrong.status_code == unknown.status_code == 401 and wrong.json == unknown.json


def test_known_and_unknown_emails_take_the_same_path_at_registration(app, db_session, monkeypatch):
    from core.outbox import OutboxMessage
    from sqlalchemy import func

    taken = make_user(db_session).email
    counts = {}
    for email in (taken, random_email("new")):
        before = db_session.scalar(select(func.count()).select_from(OutboxMessage))
        with counting_hasher(monkeypatch) as calls:
            response = post_form(app.test_client(), "/register",
                                 {"email": email, "password": PASSWORD, "password_confirm": PASSWORD})
        sent = db_session.scalar(select(func.count()).select_from(OutboxMessage)) - before
        counts[email] = (response.status_code, calls["hash"], calls["verify"], sent)
    assert len(set(counts.values())) == 1, counts
    assert counts[taken] == (200, 1, 0, 1)


@pytest.mark.parametrize("value", ["-1", "nine"])
def test_a_bad_proxy_count_stops_the_service_at_start(tmp_path, value):
    from core.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="PROXY_COUNT"):
        load_config(tmp_path, {"PROXY_COUNT": value, "ASSIST_ENV": "test"})
