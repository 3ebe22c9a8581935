"""Outgoing mail goes into the outbox table first, inside the transaction that caused it.

With `MAIL_SERVER` set, a job sends each message by SMTP after the commit; without one the
messages stay queued and staff read them on the outbox page, so every flow (confirm an email,
reset a password, a notice) works on a machine with no mail server.
"""
from __future__ import annotations

import logging
import re
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import getaddresses, make_msgid

from flask import current_app
from sqlalchemy import Boolean, CheckConstraint, Index, String, Text, false, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import clock, jobs
from core.addresses import AddressError, clean_email
from core.database import Base, BigIntPK, db

log = logging.getLogger(__name__)

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
    # The body holds a secret link (a password reset, an email confirmation, a sign-in): staff
    # pages show the text with every link withheld; only the recipient's mailbox gets it.
    withhold_links: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())

    __table_args__ = (
        CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_outbox_messages_status_created", "status", "created_at"),
    )


def queue_message(session: Session, *, to: str, subject: str, body: str, kind: str,
                  language: str = "en", user_id: int | None = None, secret: bool = False) -> OutboxMessage:
    """Put a message in the outbox; it is sent (or shown to staff) once the caller commits.

    `secret=True` for a body whose links let the holder act as the recipient (reset, confirm, sign
    in): no page ever shows those links. Without a mail server, a developer finds them in the
    server log instead (never in production).
    """
    message = OutboxMessage(
        created_at=clock.now(), kind=kind, to_address=to, subject=subject, body_text=body,
        language=language, status="queued", attempts=0, user_id=user_id, withhold_links=secret,
    )
    session.add(message)
    session.flush()
    if current_app.config.get("MAIL_SERVER"):
        jobs.enqueue(deliver, message.id, session=session, queue=jobs.MAIL_QUEUE)
    elif secret and not current_app.config.get("PRODUCTION"):
        log.info("No MAIL_SERVER: outbox message %s (%s) to %s, links withheld on the outbox page:\n%s",
                 message.id, kind, to, body)
    elif secret:
        log.warning("No MAIL_SERVER: outbox message %s (%s) waits for a mail server", message.id, kind)
    return message


_LINK = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
# Sign-in messages (resets, confirmations, notices about the account) never show a link to staff,
# whatever the flag says: it also covers messages queued before the flag existed.
SECRET_KIND_PREFIX = "auth."


def links_withheld(message: OutboxMessage) -> bool:
    return bool(message.withhold_links) or message.kind.startswith(SECRET_KIND_PREFIX)


def body_for_staff(message: OutboxMessage, placeholder: str = "[link withheld]") -> str:
    """The text staff may read: the body, with every link replaced when the message holds a secret."""
    if not links_withheld(message):
        return message.body_text
    return _LINK.sub(placeholder, message.body_text)


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
        jobs.enqueue(deliver_many, ids, session=session, queue=jobs.MAIL_QUEUE)
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
    """Job: send one queued message by SMTP. Returns the message's status afterwards.

    A message that can never be sent (a recipient that is not one plain address, a header the
    mail library refuses, a recipient the server refuses) is marked `failed` with the reason at
    once; a server that cannot be reached leaves it `queued` for a later try. Whatever happens,
    the message never stays `sending`.
    """
    session = db.session()
    if not current_app.config.get("MAIL_SERVER"):
        return "queued"
    if not _claim(session, message_id):
        message = session.get(OutboxMessage, message_id)
        return message.status if message else "missing"
    message = session.get(OutboxMessage, message_id)
    session.refresh(message)
    try:
        email = _build(message)
        _smtp_send(email)
    except _PERMANENT as exc:
        _fail(message, exc, permanent=True)
    except (smtplib.SMTPException, OSError) as exc:
        _fail(message, exc, permanent=False)
    except Exception as exc:  # noqa: BLE001 - one bad message must not stop the run or stay `sending`
        log.exception("outbox message %s could not be sent", message_id)
        _fail(message, exc, permanent=True)
    else:
        message.status = "sent"
        message.sent_at = clock.now()
        message.last_error = None
    session.commit()
    return message.status


class Unsendable(ValueError):
    """This message can never be sent as it is."""


# Errors that another try would only repeat.
_PERMANENT = (Unsendable, AddressError, ValueError, TypeError, UnicodeError, smtplib.SMTPRecipientsRefused,
              smtplib.SMTPSenderRefused, smtplib.SMTPNotSupportedError)


def _fail(message: OutboxMessage, exc: Exception, *, permanent: bool) -> None:
    prefix = "cannot be sent: " if permanent else ""
    message.last_error = f"{prefix}{type(exc).__name__}: {exc}"[:2000]
    message.status = "failed" if permanent or message.attempts >= MAX_ATTEMPTS else "queued"


def _mark_failed(session: Session, message_id: int, exc: Exception) -> None:
    """Last resort when `deliver` itself broke: the message is failed, never left `sending`."""
    session.rollback()
    session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.status.in_(("queued", "sending")))
        .values(status="failed", last_error=f"cannot be sent: {type(exc).__name__}: {exc}"[:2000])
    )
    session.commit()


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
        try:
            status = deliver(message_id)
        except Exception as exc:  # noqa: BLE001 - the rest of the run is still sent
            log.exception("outbox message %s broke the send run", message_id)
            _mark_failed(session, message_id, exc)
            status = "failed"
        counts[status] = counts.get(status, 0) + 1
    return counts


def _build(message: OutboxMessage) -> EmailMessage:
    """The mail for a message; Unsendable/AddressError when its recipient is not one plain address."""
    cfg = current_app.config
    to = clean_email(message.to_address)  # refuses line breaks, commas, several addresses
    email = EmailMessage()
    email["From"] = cfg["MAIL_DEFAULT_SENDER"]
    email["To"] = to
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}")
    email["Content-Language"] = message.language
    email.set_content(message.body_text)
    if len(email.get_all("To") or ()) != 1 or len(getaddresses(email.get_all("To"))) != 1:
        raise Unsendable("the message must have exactly one recipient")
    return email


def _smtp_send(email: EmailMessage) -> None:
    cfg = current_app.config
    smtp_cls = smtplib.SMTP_SSL if cfg.get("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_cls(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30) as smtp:
        if cfg.get("MAIL_USE_TLS") and not cfg.get("MAIL_USE_SSL"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        smtp.send_message(email)
