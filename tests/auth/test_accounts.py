"""Customers register, confirm by email, reset forgotten passwords; staff are made by command or admin."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, csrf_token, login, post_form, random_email
from tests.factories import make_user


def _latest_mail(session, to):
    from core.outbox import OutboxMessage

    return session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == to)
                           .order_by(OutboxMessage.id.desc())).first()


def _link(message) -> str:
    match = re.search(r"https?://[^\s]+", message.body_text)
    assert match, message.body_text
    return re.sub(r"^https?://[^/]+", "", match.group(0))


def test_register_confirm_and_sign_in(client, db_session):
    from auth.models import User

    email = random_email("new")
    response = post_form(client, "/register", {"email": email, "full_name": "Rosa Diaz", "password": PASSWORD,
                                               "password_confirm": PASSWORD})
    assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    user = db_session.scalar(select(User).where(User.email == email))
    assert user.role == "customer" and user.email_confirmed_at is None
    assert user.password_hash.startswith("$argon2")

    # Not confirmed yet: signing in explains what to do.
    response = post_form(client, "/login", {"email": email, "password": PASSWORD})
    assert "Confirm your email address first" in response.get_data(as_text=True)

    message = _latest_mail(db_session, email)
    assert message.kind == "auth.confirm_email"
    response = client.get(_link(message))
    assert response.status_code == 302 and response.location == "/login"
    login(client, email)
    assert email in client.get("/").get_data(as_text=True)


def test_production_password_cost_is_argon2_recommended(client, db_session, monkeypatch):
    """The suite hashes cheaply (tests/conftest.py); this one signs up and in at production cost."""
    from auth.models import User

    monkeypatch.delenv("ASSIST_PASSWORD_HASHING")
    email = random_email("cost")
    post_form(client, "/register", {"email": email, "password": PASSWORD, "password_confirm": PASSWORD})
    user = db_session.scalar(select(User).where(User.email == email))
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    client.get(_link(_latest_mail(db_session, email)))
    login(client, email)
    assert email in client.get("/").get_data(as_text=True)


def test_a_cheap_hash_is_made_again_at_production_cost_on_sign_in(client, db_session, monkeypatch):
    from auth.models import User

    email = random_email("rehash")
    post_form(client, "/register", {"email": email, "password": PASSWORD, "password_confirm": PASSWORD})
    client.get(_link(_latest_mail(db_session, email)))
    user = db_session.scalar(select(User).where(User.email == email))
    assert ",t=1," in user.password_hash
    monkeypatch.delenv("ASSIST_PASSWORD_HASHING")
    login(client, email)
    db_session.refresh(user)
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_registration_in_spanish_sends_the_mail_in_spanish(client, db_session):
    email = random_email("es")
    post_form(client, "/language", {"language": "es", "next": "/"})
    post_form(client, "/register", {"email": email, "password": PASSWORD, "password_confirm": PASSWORD})
    message = _latest_mail(db_session, email)
    assert message.language == "es"
    assert "Assist" in message.subject and "Confirm your email" not in message.subject


@pytest.mark.parametrize("password, message", [
    ("short1", "Use at least 8 characters."),
    ("password1", "This password is too common."),
    ("iloveyou", "This password is too common."),
])
def test_weak_passwords_are_refused_with_the_reason_by_the_field(client, password, message):
    response = post_form(client, "/register", {"email": random_email(), "password": password,
                                               "password_confirm": password})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in body
    assert 'aria-invalid="true"' in body and 'aria-describedby="password-hint password-error-1' in body


def test_long_passphrases_are_welcome(client, db_session):
    passphrase = "a long passphrase of unrelated words " * 3  # 111 characters
    email = random_email()
    response = post_form(client, "/register", {"email": email, "password": passphrase, "password_confirm": passphrase})
    assert response.status_code == 200


def test_an_email_can_register_only_once_and_the_page_does_not_tell(client, db_session):
    from auth.models import User

    user = make_user(db_session)
    unknown = random_email("unknown")
    taken = post_form(client, "/register", {"email": user.email.upper(), "password": PASSWORD,
                                            "password_confirm": PASSWORD})
    fresh = post_form(client.application.test_client(), "/register",
                      {"email": unknown, "password": PASSWORD, "password_confirm": PASSWORD})
    assert taken.status_code == fresh.status_code == 200
    page = taken.get_data(as_text=True)
    assert "Check your email" in page and "already exists" not in page
    def same(body, email):
        return re.sub(r'value="[^"]+"', "", body.replace(email, "EMAIL"))  # CSRF tokens differ

    assert same(page, user.email) == same(fresh.get_data(as_text=True), unknown)
    assert db_session.scalar(select(func.count()).select_from(User).where(User.email == user.email)) == 1
    # The owner is told instead, by email.
    message = _latest_mail(db_session, user.email)
    assert message.kind == "auth.already_registered" and "already has one" in message.body_text


def test_forgotten_password_reset_by_emailed_link(client, db_session):
    user = make_user(db_session)
    other = app_client = client  # the person who forgot
    response = post_form(other, "/password/forgot", {"email": user.email})
    assert "If " in response.get_data(as_text=True)
    link = _link(_latest_mail(db_session, user.email))
    new = "a brand new passphrase here"
    response = post_form(app_client, link, {"new_password": new, "password_confirm": new})
    assert response.status_code == 302
    login(client, user.email, new)
    # The link works once.
    response = post_form(client, link, {"new_password": "another new passphrase", "password_confirm": "another new passphrase"})
    assert "already been used" in response.get_data(as_text=True)


def test_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(client, db_session):
    from core.outbox import OutboxMessage

    before = db_session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()))
    response = post_form(client, "/password/forgot", {"email": "nobody-here@example.com"})
    assert response.status_code == 200 and "If nobody-here@example.com has an account" in response.get_data(as_text=True)
    assert db_session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc())) == before


def test_cli_creates_confirmed_users_with_the_password_from_stdin(app, db_session):
    from auth.models import User

    email = random_email("cli")
    result = app.test_cli_runner().invoke(args=["users", "create", "--email", email, "--role", "csr"],
                                          input=PASSWORD + "\nignored second line\n")
    assert result.exit_code == 0, result.output
    assert f"created csr {email}" in result.output
    user = db_session.scalar(select(User).where(User.email == email))
    assert user.role == "csr" and user.email_confirmed_at is not None


def test_cli_refuses_a_weak_password_and_an_unknown_role(app, db_session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--email", random_email(), "--role", "customer"], input="123\n")
    assert result.exit_code != 0 and "at least 8 characters" in result.output
    result = runner.invoke(args=["users", "create", "--email", random_email(), "--role", "boss"], input=PASSWORD + "\n")
    assert result.exit_code != 0


def test_admin_creates_changes_role_and_deactivates(client, db_session):
    from auth.models import User

    admin = make_user(db_session, "admin")
    login(client, admin.email)
    email = random_email("staff")
    response = post_form(client, "/admin/users", {"email": email, "role": "csr", "password": PASSWORD})
    assert response.status_code == 302
    user = db_session.scalar(select(User).where(User.email == email))
    assert user.role == "csr"
    post_form(client, f"/admin/users/{user.id}", {"action": "role", "role": "manager"})
    db_session.refresh(user)
    assert user.role == "manager"
    post_form(client, f"/admin/users/{user.id}", {"action": "deactivate", "reason": "left the utility", "confirm": "yes"})
    db_session.refresh(user)
    assert user.active is False
    response = post_form(client.application.test_client(), "/login", {"email": email, "password": PASSWORD})
    assert "The email or password is not right." in response.get_data(as_text=True)


def test_state_changes_leave_audit_records(client, db_session):
    from core.audit import AuditRecord

    admin = make_user(db_session, "admin")
    login(client, admin.email)
    email = random_email("audited")
    post_form(client, "/admin/users", {"email": email, "role": "csr", "password": PASSWORD})
    record = db_session.scalars(select(AuditRecord).where(AuditRecord.action == "user.created")
                                .order_by(AuditRecord.id.desc())).first()
    assert record.actor_label == admin.email and record.actor_role == "admin"
    assert record.details == {"role": "csr", "confirmed": True}


def test_demo_creates_one_user_per_role_and_prints_passwords(app, db_session):
    from auth.models import User

    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    for role in ("customer", "csr", "manager", "admin"):
        assert re.search(rf"{role}\s+{role}@example.com\s+password: (\S+)", result.output), result.output
    password = re.search(r"csr@example.com\s+password: (\S+)", result.output).group(1)
    from auth import service

    user = service.authenticate(db_session, "csr@example.com", password)
    assert user.role == "csr"
    again = app.test_cli_runner().invoke(args=["demo", "--if-empty"])
    assert "already has users" in again.output
