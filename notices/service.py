"""Writing letters: one with the change it tells of, or thousands in two statements; each kept as a
`Notice` of its account, handed to the outbox when the household has an email login, else kept for
the next print run (`delivery` post)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from core import clock
from core.bulk import insert_rows
from core.outbox import queue_message, queue_messages
from notices import wording
from notices.models import Notice


@dataclass(frozen=True)
class Recipient:
    """Who a letter is for: emailed to `email`, or by post when there is none (a phone or paper
    customer). Either way it is written in their `language`."""

    user_id: int
    email: str | None
    language: str
    # Where a printed letter goes when the customer gave a postal address; None: the service address.
    postal_address: str | None = None

    @property
    def by_post(self) -> bool:
        return self.email is None


def recipient_of(user) -> Recipient | None:
    """A login as a recipient; a customer whose letters go by post keeps their language and postal address."""
    if user is None:
        return None
    return Recipient(user.id, None if user.letters_by_post else user.email, user.language or "en",
                     user.postal_address or None)


_ZIP = re.compile(r"\b(\d{5})(?:-\d{4})?\b")


def mailing_zip(address: str | None) -> str | None:
    """The ZIP code of a postal address (its last five-digit group, ZIP+4 cut to five), so a print run
    sorts the letter by where it is mailed; None when the address has none (the account's ZIP then)."""
    found = _ZIP.findall(address or "")
    return found[-1] if found else None


def _addressee(recipient: Recipient | None) -> dict:
    address = recipient.postal_address if recipient is not None else None
    return {"mail_to": address or None, "mail_zip": mailing_zip(address) if address else None}


def send(session: Session, kind: str, *, account_id: int, recipient: Recipient | None, language: str,
         application_id: int | None = None, enrollment_id: int | None = None, outbox_kind: str | None = None,
         **context) -> Notice:
    """One letter, rendered in `language`, in the same transaction as the change it tells of."""
    subject, body = wording.render(kind, language, **context)
    message = None if recipient is None or recipient.by_post else queue_message(
        session, to=recipient.email, subject=subject, body=body, kind=outbox_kind or kind, language=language,
        user_id=recipient.user_id)
    notice = Notice(account_id=account_id, application_id=application_id, enrollment_id=enrollment_id, kind=kind,
                    language=language, subject=subject, body=body, created_at=clock.now(),
                    outbox_message_id=message.id if message else None,
                    delivery="post" if message is None else "email", **_addressee(recipient))
    session.add(notice)
    session.flush()
    return notice


def _cache_key(value):
    """A context value as part of a cache key: a row by its table and id, anything else as it is."""
    table = getattr(value, "__tablename__", None)
    return (table, value.id) if table else value


class Letters:
    """Collects letters and writes them (outbox messages, then notices) in two statements.

    Wording is rendered once per distinct letter and language; the account number and link,
    which differ on every letter, are put in afterwards.
    """

    _ACCOUNT, _LINK = "\x00account\x00", "\x00link\x00"

    def __init__(self, session: Session, outbox_prefix: str = "") -> None:
        self.session = session
        self.outbox_prefix = outbox_prefix
        self.rows: list[dict] = []
        self._cache: dict[tuple, tuple[str, str]] = {}

    def add(self, kind: str, *, account_id: int, account: str, recipient: Recipient | None,
            enrollment_id: int | None = None, application_id: int | None = None, link: str = "",
            language: str | None = None, **values) -> None:
        language = (recipient.language if recipient else language) or "en"
        key = (kind, language, tuple(sorted((name, _cache_key(v)) for name, v in values.items())))
        rendered = self._cache.get(key)
        if rendered is None:
            rendered = wording.render(kind, language, account=self._ACCOUNT, link=self._LINK, **values)
            self._cache[key] = rendered
        subject, body = (text.replace(self._ACCOUNT, account).replace(self._LINK, link) for text in rendered)
        self.rows.append({"kind": kind, "account_id": account_id, "enrollment_id": enrollment_id,
                          "application_id": application_id, "recipient": recipient, "language": language,
                          "subject": subject, "body": body})

    def write(self) -> int:
        if not self.rows:
            return 0
        emailed = [r for r in self.rows if r["recipient"] is not None and not r["recipient"].by_post]
        ids = queue_messages(self.session, [
            {"to": r["recipient"].email, "subject": r["subject"], "body": r["body"],
             "kind": f"{self.outbox_prefix}{r['kind']}", "language": r["language"],
             "user_id": r["recipient"].user_id} for r in emailed])
        message_of = {id(r): message_id for r, message_id in zip(emailed, ids)}
        now = clock.now()
        insert_rows(self.session, Notice, [
            {"account_id": r["account_id"], "application_id": r["application_id"], "enrollment_id": r["enrollment_id"],
             "kind": r["kind"], "language": r["language"], "subject": r["subject"], "body": r["body"],
             "created_at": now, "outbox_message_id": message_of.get(id(r)),
             "delivery": "email" if id(r) in message_of else "post", **_addressee(r["recipient"])}
            for r in self.rows])
        written = len(self.rows)
        self.rows = []
        return written
