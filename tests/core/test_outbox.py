"""Outgoing mail: queued in the transaction, sent by SMTP when configured, shown to staff otherwise."""
from __future__ import annotations

import socket
import socketserver
import threading

import pytest
from sqlalchemy import select

from tests.conftest import login
from tests.factories import make_user


class _SMTPHandler(socketserver.StreamRequestHandler):
    def handle(self):
        def say(line):
            self.wfile.write(line.encode() + b"\r\n")

        say("220 test SMTP")
        while True:
            line = self.rfile.readline().decode().strip()
            if not line:
                return
            verb = line.split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                say("250 test")
            elif verb == "RCPT":
                self.server.recipients.append(line)
                say("250 OK")
            elif verb in ("MAIL", "RSET", "NOOP"):
                say("250 OK")
            elif verb == "DATA":
                say("354 go on")
                lines = []
                while True:
                    data = self.rfile.readline().decode()
                    if data in (".\r\n", ".\n", ""):
                        break
                    lines.append(data)
                self.server.messages.append("".join(lines))
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:
                say("502 not here")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.messages = []
    server.recipients = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_without_a_mail_server_messages_wait_on_the_staff_outbox_page(client, db_session):
    from core import outbox

    outbox.queue_message(db_session, to="pat@example.com", subject="Your application was received",
                         body="Confirmation number A-123.", kind="test.notice")
    db_session.commit()
    csr = make_user(db_session, "csr")
    login(client, csr.email)
    page = client.get("/staff/outbox").get_data(as_text=True)
    assert "Your application was received" in page and "pat@example.com" in page
    assert "No mail server is configured" in page
    message_id = db_session.scalar(select(outbox.OutboxMessage.id).where(outbox.OutboxMessage.to_address == "pat@example.com"))
    detail = client.get(f"/staff/outbox/{message_id}").get_data(as_text=True)
    assert "Confirmation number A-123." in detail


def test_customers_cannot_read_the_outbox(client, db_session):
    user = make_user(db_session, "customer")
    login(client, user.email)
    assert client.get("/staff/outbox").status_code == 403


def test_with_a_mail_server_the_message_is_sent_after_the_commit(app, db_session, smtp_server):
    from core import outbox

    app.config["MAIL_SERVER"] = "127.0.0.1"
    app.config["MAIL_PORT"] = smtp_server.server_address[1]
    try:
        message = outbox.queue_message(db_session, to="lee@example.com", subject="Approved",
                                       body="Your discount starts on your next bill.", kind="test.notice",
                                       language="en")
        assert smtp_server.messages == []
        db_session.commit()
    finally:
        app.config["MAIL_SERVER"] = None
    db_session.refresh(message)
    assert message.status == "sent" and message.sent_at is not None and message.attempts == 1
    assert len(smtp_server.messages) == 1
    assert "Subject: Approved" in smtp_server.messages[0]
    assert "Your discount starts on your next bill." in smtp_server.messages[0]


def test_a_failed_send_is_retried_later(app, db_session):
    from core import outbox

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port)
    try:
        message = outbox.queue_message(db_session, to="kim@example.com", subject="Hello", body="x", kind="test")
        db_session.commit()
        db_session.refresh(message)
        assert message.status == "queued" and message.attempts == 1 and "Error" in message.last_error
    finally:
        app.config["MAIL_SERVER"] = None


def test_a_message_is_claimed_once_so_it_is_not_sent_twice(app, db_session, smtp_server):
    from core import outbox

    message = outbox.queue_message(db_session, to="ana@example.com", subject="Once", body="x", kind="test")
    db_session.commit()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.server_address[1])
    try:
        assert outbox.deliver(message.id) == "sent"
        assert outbox.deliver(message.id) == "sent"
    finally:
        app.config["MAIL_SERVER"] = None
    assert len(smtp_server.messages) == 1


def test_many_messages_queued_at_once_get_their_own_ids_in_order(app, db_session):
    """The daily job ties each letter to its message by the ids queue_messages returns."""
    from core.outbox import OutboxMessage, queue_message, queue_messages

    with app.test_request_context():
        queue_message(db_session, to="first@example.org", subject="Before", body="x", kind="test")
        db_session.flush()
        batch = [{"to": f"person{n}@example.org", "subject": f"Letter {n}", "body": "x", "kind": "test"}
                 for n in range(5)]
        ids = queue_messages(db_session, batch)
        later = queue_message(db_session, to="last@example.org", subject="After", body="x", kind="test")
        db_session.flush()
    assert len(set(ids)) == 5
    assert [db_session.get(OutboxMessage, i).subject for i in ids] == [f"Letter {n}" for n in range(5)]
    assert later.id not in ids and db_session.get(OutboxMessage, later.id).subject == "After"


def test_outbox_send_fails_a_message_that_cannot_be_sent_and_sends_the_rest(app, db_session, smtp_server):
    """Issue 12, item 8: a newline in an address crashed the run and left the message `sending`."""
    from core import outbox
    from core.outbox import OutboxMessage

    def queue(to, subject="Hello"):
        # Rows as an older release let them in, before addresses were checked.
        return outbox.queue_message(db_session, to=to, subject=subject, body="x", kind="test").id

    first = queue("first@example.com")
    newline = queue("pat@example.com\nBcc: eve@evil.test")
    comma = queue("pat@example.com, eve@evil.test")
    bad_subject = queue("sam@example.com", subject="Hello\nBcc: eve@evil.test")
    last = queue("last@example.com")
    db_session.commit()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.server_address[1])
    try:
        result = app.test_cli_runner().invoke(args=["outbox", "send"])
    finally:
        app.config["MAIL_SERVER"] = None
    assert result.exit_code == 0, result.output
    assert "sent=2" in result.output and "failed=3" in result.output
    status = {m.id: m for m in db_session.scalars(select(OutboxMessage).where(
        OutboxMessage.id.in_([first, newline, comma, bad_subject, last])))}
    assert status[first].status == status[last].status == "sent"
    for bad in (newline, comma, bad_subject):
        assert status[bad].status == "failed" and status[bad].last_error.startswith("cannot be sent")
    assert [r.split(":", 1)[1].strip() for r in smtp_server.recipients] == ["<first@example.com>", "<last@example.com>"]
    assert not any("evil" in m for m in smtp_server.messages)


def test_a_send_run_never_leaves_a_message_sending(app, db_session, smtp_server, monkeypatch):
    """Even a fault nobody planned for marks that message failed; the next one still goes."""
    from core import outbox

    broken = outbox.queue_message(db_session, to="a@example.com", subject="Broken", body="x", kind="test")
    fine = outbox.queue_message(db_session, to="b@example.com", subject="Fine", body="x", kind="test")
    db_session.commit()
    real_build = outbox._build

    def build(message):
        if message.subject == "Broken":
            raise RuntimeError("something nobody planned for")
        return real_build(message)

    monkeypatch.setattr(outbox, "_build", build)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.server_address[1])
    try:
        counts = outbox.send_queued(db_session)
    finally:
        app.config["MAIL_SERVER"] = None
    db_session.refresh(broken)
    db_session.refresh(fine)
    assert broken.status == "failed" and "RuntimeError" in broken.last_error
    assert fine.status == "sent" and counts["sent"] >= 1
