"""Outgoing mail goes into the outbox table first, inside the transaction that caused it.

With `MAIL_SERVER` set, a job sends each message by SMTP after the commit; without one the
messages stay queued and staff read them on the outbox page, so every flow (confirm an email,
reset a password, a notice) works on a machine with no mail server.
"""
from __future__ import annotations

import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import CheckConstraint, Index, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import clock, jobs
from core.database import Base, BigIntPK, db

STATUSES = ("queued", "sending", "sent", "failed")
MAX_ATTEMPTS = 5
STALE_SENDING = timedelta(minutes=15)


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    kind: Mapped[str] = mapped_column(String(60), nullable=False)
    to_address: Mapped[str] = mapped_column(String(254), nullable=False)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    body_text: Mapped[str] = mapped_column(Text, nullable=False)
    language: Mapped[str] = mapped_column(String(5), nullable=False, default="en")
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="queued")
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(index=True)

    __table_args__ = (
        CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_outbox_messages_status_created", "status", "created_at"),
    )


def queue_message(session: Session, *, to: str, subject: str, body: str, kind: str,
                  language: str = "en", user_id: int | None = None) -> OutboxMessage:
    """Put a message in the outbox; it is sent (or shown to staff) once the caller commits."""
    message = OutboxMessage(
        created_at=clock.now(), kind=kind, to_address=to, subject=subject, body_text=body,
        language=language, status="queued", attempts=0, user_id=user_id,
    )
    session.add(message)
    session.flush()
    if current_app.config.get("MAIL_SERVER"):
        jobs.enqueue(deliver, message.id, session=session, queue="mail")
    return message


def queue_messages(session: Session, messages: list[dict]) -> list[int]:
    """Many messages in one statement (dicts of to, subject, body, kind, language, user_id); their ids in order.

    With a mail server, one job per call sends them after the commit.
    """
    if not messages:
        return []
    from core.bulk import insert_rows

    at = clock.now()
    rows = [{"created_at": at, "kind": m["kind"], "to_address": m["to"], "subject": m["subject"],
             "body_text": m["body"], "language": m.get("language", "en"), "status": "queued", "attempts": 0,
             "user_id": m.get("user_id")} for m in messages]
    ids = insert_rows(session, OutboxMessage, rows, return_ids=True)
    if current_app.config.get("MAIL_SERVER"):
        jobs.enqueue(deliver_many, ids, session=session, queue="mail")
    return ids


def deliver_many(message_ids: list[int]) -> dict[str, int]:
    """Job: send a batch of queued messages, each claimed on its own as `deliver` does."""
    counts: dict[str, int] = {}
    for message_id in message_ids:
        status = deliver(message_id)
        counts[status] = counts.get(status, 0) + 1
    return counts


def _claim(session: Session, message_id: int) -> bool:
    """Mark a message as being sent; only one process wins the claim."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "queued")
        .values(status="sending", attempts=OutboxMessage.attempts + 1, last_attempt_at=clock.now())
    )
    session.commit()
    return result.rowcount == 1


def deliver(message_id: int) -> str:
    """Job: send one queued message by SMTP. Returns the message's status afterwards."""
    session = db.session()
    if not current_app.config.get("MAIL_SERVER"):
        return "queued"
    if not _claim(session, message_id):
        message = session.get(OutboxMessage, message_id)
        return message.status if message else "missing"
    message = session.get(OutboxMessage, message_id)
    session.refresh(message)
    try:
        _smtp_send(message)
    except (smtplib.SMTPException, OSError) as exc:
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        message.status = "failed" if message.attempts >= MAX_ATTEMPTS else "queued"
    else:
        message.status = "sent"
        message.sent_at = clock.now()
        message.last_error = None
    session.commit()
    return message.status


def send_queued(session: Session, limit: int = 500) -> dict[str, int]:
    """Send what is waiting (the `flask outbox send` command and a periodic job call this)."""
    cutoff = clock.now() - STALE_SENDING
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "sending", OutboxMessage.last_attempt_at < cutoff)
        .values(status="queued")
    )
    session.commit()
    ids = session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.status == "queued")
        .order_by(OutboxMessage.id).limit(limit)
    ).all()
    counts = {"sent": 0, "queued": 0, "failed": 0, "sending": 0, "missing": 0}
    for message_id in ids:
        counts[deliver(message_id)] += 1
    return counts


def _smtp_send(message: OutboxMessage) -> None:
    cfg = current_app.config
    email = EmailMessage()
    email["From"] = cfg["MAIL_DEFAULT_SENDER"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}")
    email["Content-Language"] = message.language
    email.set_content(message.body_text)
    smtp_cls = smtplib.SMTP_SSL if cfg.get("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_cls(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30) as smtp:
        if cfg.get("MAIL_USE_TLS") and not cfg.get("MAIL_USE_SSL"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        smtp.send_message(email)
