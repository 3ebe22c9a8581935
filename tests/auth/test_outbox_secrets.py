"""Issue 12, item 1: no CSR can take over an account through the outbox.

The attack: a CSR asks for a password reset (or a confirmation) of someone else, reads the link
on /staff/outbox, sets a password, and is in. Secret links never reach a page; reading a body is
audited; an admin's reset is its own audited action the person is told about; where two-factor
is required, a first sign-in or a reset of two-factor leads to enrolment before anything else.
"""
from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select

from tests.auth.conftest import enrol
from tests.conftest import PASSWORD, login, post_form, random_email
from tests.factories import make_user


def _mail(session, to, kind):
    from core.outbox import OutboxMessage

    return session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == to, OutboxMessage.kind == kind)
                           .order_by(OutboxMessage.id.desc())).first()


def _secret_link(message) -> str:
    """The link only the recipient's mailbox holds (read from the database, as the mail server would)."""
    match = re.search(r"https?://\S+", message.body_text)
    assert match, message.body_text
    return match.group(0)


def _everything_staff_can_read(client, message) -> str:
    listing = client.get("/staff/outbox").get_data(as_text=True)
    assert f"/staff/outbox/{message.id}" in listing  # each message is linked to its page
    detail = client.get(f"/staff/outbox/{message.id}")
    assert detail.status_code == 200
    return listing + detail.get_data(as_text=True)


def _ask_reset(app, email):
    post_form(app.test_client(), "/password/forgot", {"email": email})


def _register(app, email):
    post_form(app.test_client(), "/register", {"email": email, "password": PASSWORD, "password_confirm": PASSWORD})


@pytest.mark.parametrize("role", ["csr", "manager", "admin"])
def test_staff_never_see_a_password_reset_link(app, client, db_session, role):
    customer = make_user(db_session)
    reader = make_user(db_session, role)
    login(client, reader.email)
    _ask_reset(app, customer.email)
    message = _mail(db_session, customer.email, "auth.reset_password")
    link = _secret_link(message)
    token = link.rsplit("/", 1)[1]

    seen = _everything_staff_can_read(client, message)
    assert "[link withheld]" in seen
    assert token not in seen and "/password/reset/" not in seen
    assert "To choose a new password, open this link within one hour" in seen  # the text is still there


def test_staff_never_see_an_email_confirmation_link(app, client, db_session):
    email = random_email("newcomer")
    _register(app, email)
    csr = make_user(db_session, "csr")
    login(client, csr.email)
    message = _mail(db_session, email, "auth.confirm_email")
    token = _secret_link(message).rsplit("/", 1)[1]
    seen = _everything_staff_can_read(client, message)
    assert "[link withheld]" in seen and token not in seen and "/confirm/" not in seen


def test_the_takeover_of_a_new_admin_fails(app, client, db_session):
    """The admin made today, with no two-factor yet: the CSR's only way to the link is the outbox."""
    new_admin = make_user(db_session, "admin")
    csr = make_user(db_session, "csr")
    login(client, csr.email)
    _ask_reset(app, new_admin.email)
    message = _mail(db_session, new_admin.email, "auth.reset_password")
    page = client.get(f"/staff/outbox/{message.id}").get_data(as_text=True)
    links = re.findall(r'href="(/password/reset/[^"]+)"', page) + re.findall(r"https?://\S*/password/reset/\S+", page)
    assert links == []


def test_other_messages_keep_their_links(client, db_session):
    from core import outbox

    message = outbox.queue_message(db_session, to="pat@example.com", subject="Your application",
                                   body="See it at https://assist.test/applications/7", kind="test.notice")
    csr = make_user(db_session, "csr")
    login(client, csr.email)
    assert "https://assist.test/applications/7" in client.get(f"/staff/outbox/{message.id}").get_data(as_text=True)


def test_reading_a_message_body_is_an_audited_view(app, client, db_session):
    from core.audit import AuditRecord

    customer = make_user(db_session)
    csr = make_user(db_session, "csr")
    login(client, csr.email)
    _ask_reset(app, customer.email)
    message = _mail(db_session, customer.email, "auth.reset_password")
    client.get("/staff/outbox")
    assert db_session.scalar(select(AuditRecord).where(AuditRecord.action == "outbox.message_viewed")) is None
    client.get(f"/staff/outbox/{message.id}")
    record = db_session.scalar(select(AuditRecord).where(AuditRecord.action == "outbox.message_viewed",
                                                         AuditRecord.object_id == str(message.id)))
    assert record is not None and record.actor_label == csr.email and record.actor_role == "csr"
    assert record.details == {"kind": "auth.reset_password", "links_withheld": True}


def test_without_a_mail_server_a_developer_finds_the_link_in_the_server_log(app, db_session, caplog):
    customer = make_user(db_session)
    with caplog.at_level(logging.INFO, logger="core.outbox"):
        _ask_reset(app, customer.email)
    link = _secret_link(_mail(db_session, customer.email, "auth.reset_password"))
    assert link in caplog.text


def test_the_outbox_offers_no_way_to_send_a_message_elsewhere(app, client, db_session):
    customer = make_user(db_session)
    csr = make_user(db_session, "csr")
    login(client, csr.email)
    _ask_reset(app, customer.email)
    message = _mail(db_session, customer.email, "auth.reset_password")
    page = client.get(f"/staff/outbox/{message.id}").get_data(as_text=True)
    forms = re.findall(r'<form[^>]*action="([^"]*)"', page)
    assert all(action in ("/logout", "/language") for action in forms), forms
    for path in (f"/staff/outbox/{message.id}", f"/staff/outbox/{message.id}/resend"):
        assert post_form(client, path, {"to": "csr-own@example.com"}).status_code in (404, 405)


# --- admin resets ------------------------------------------------------------------------------

def test_an_admin_reset_of_a_password_is_audited_ends_sessions_and_tells_the_person(app, client, db_session):
    from core.audit import AuditRecord

    csr = make_user(db_session, "csr")
    csr_browser = app.test_client()
    login(csr_browser, csr.email)
    admin = make_user(db_session, "admin")
    login(client, admin.email)
    response = post_form(client, f"/admin/users/{csr.id}", {"action": "reset_password", "reason": "asked by phone"},
                         token_from="/admin/users")
    assert response.status_code == 302
    assert csr_browser.get("/staff/outbox").status_code == 302  # signed out everywhere
    failed = post_form(app.test_client(), "/login", {"email": csr.email, "password": PASSWORD})
    assert "The email or password is not right." in failed.get_data(as_text=True)
    record = db_session.scalar(select(AuditRecord).where(AuditRecord.action == "user.password_reset_by_admin"))
    assert record.actor_label == admin.email and record.object_id == str(csr.id) and record.reason == "asked by phone"
    message = _mail(db_session, csr.email, "auth.reset_password")
    assert "An administrator" in message.body_text
    # The link in the mailbox works; on the outbox page it is withheld, even for the admin.
    assert "[link withheld]" in client.get(f"/staff/outbox/{message.id}").get_data(as_text=True)
    path = re.sub(r"^https?://[^/]+", "", _secret_link(message))
    new = "a fresh passphrase for casey"
    assert post_form(app.test_client(), path, {"new_password": new, "password_confirm": new}).status_code == 302
    login(app.test_client(), csr.email, new)


def test_an_admin_reset_of_two_factor_leads_to_enrolment_first(production_app, db_session, clock):
    from datetime import datetime, timezone

    from core.audit import AuditRecord

    clock.freeze(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))
    csr = make_user(db_session, "csr")
    csr_browser = production_app.test_client()
    post_form(csr_browser, "/login", {"email": csr.email, "password": PASSWORD})  # first sign-in: enrolment
    assert csr_browser.get("/staff/queue").location == "/account/two-factor"
    enrol(csr_browser, clock)
    assert csr_browser.get("/staff/outbox").status_code == 200

    from auth import service

    with production_app.test_request_context():
        service.admin_reset_two_factor(db_session, csr, "lost phone")
    db_session.flush()

    assert csr_browser.get("/staff/outbox").status_code == 302  # signed out
    response = post_form(csr_browser, "/login", {"email": csr.email, "password": PASSWORD})
    assert response.location == "/account/two-factor"  # not the code step: enrolment again
    for path in ("/staff/outbox", "/account", "/staff/queue"):
        assert csr_browser.get(path).location == "/account/two-factor"
    api = production_app.test_client().post("/api/v1/auth/login", json={"email": csr.email, "password": PASSWORD})
    assert api.status_code == 403 and api.json["error"]["code"] == "two_factor_setup_required"
    record = db_session.scalar(select(AuditRecord).where(AuditRecord.action == "user.two_factor_reset_by_admin"))
    assert record is not None and record.reason == "lost phone"
    notice = _mail(db_session, csr.email, "auth.two_factor_reset")
    assert "set it up again" in notice.body_text


def test_the_admin_page_resets_two_factor_as_its_own_action(app, client, db_session, clock):
    from core.audit import AuditRecord

    csr = make_user(db_session, "csr")
    csr_browser = app.test_client()
    login(csr_browser, csr.email)
    enrol(csr_browser, clock)
    admin = make_user(db_session, "admin")
    login(client, admin.email)
    page = client.get("/admin/users").get_data(as_text=True)
    assert 'value="reset_2fa"' in page and 'value="reset_password"' in page
    post_form(client, f"/admin/users/{csr.id}", {"action": "reset_2fa"}, token_from="/admin/users")
    db_session.refresh(csr)
    assert not csr.totp_enabled
    assert csr_browser.get("/staff/outbox").status_code == 302
    actions = set(db_session.scalars(select(AuditRecord.action).where(AuditRecord.object_id == str(csr.id),
                                                                      AuditRecord.object_type == "users")))
    assert {"user.two_factor_reset_by_admin", "session.revoked_all"} <= actions
    assert _mail(db_session, csr.email, "auth.two_factor_reset") is not None


def test_in_development_and_test_staff_sign_in_with_a_password_alone(app, client, db_session):
    csr = make_user(db_session, "csr")
    response = post_form(client, "/login", {"email": csr.email, "password": PASSWORD})
    assert response.status_code == 302 and response.location == "/staff/queue"
    assert client.get("/staff/outbox").status_code == 200
    api = app.test_client().post("/api/v1/auth/login", json={"email": csr.email, "password": PASSWORD})
    assert api.status_code == 200 and "token" in api.json
