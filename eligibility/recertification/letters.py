"""Letters about enrollments, one or thousands at a time: who receives them, their wording, writing them.

A letter goes to the applicant whose application certified the enrollment, else to a customer
linked to the account; with nobody to email (a household enrolled from an agency's file that
never signed up) it is kept for the print run (`delivery` post). Either way it shows in the
customer's portal and on the staff pages.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import Account, AccountLink
from core import clock
from core.bulk import among, insert_rows
from core.outbox import queue_messages
from eligibility.applications import notices
from eligibility.applications.models import Application, Enrollment, Notice


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str
    language: str


def recipients(session: Session, enrollment_ids: Iterable[int]) -> dict[int, Recipient]:
    from auth.models import User

    ids = list(enrollment_ids)
    out: dict[int, Recipient] = {}
    for start in range(0, len(ids), 10_000):
        chunk = ids[start:start + 10_000]
        for eid, uid, email, language in session.execute(
                select(Enrollment.id, User.id, User.email, User.language)
                .join(Application, Application.id == Enrollment.application_id)
                .join(User, User.id == Application.applicant_id)
                .where(among(session, Enrollment.id, chunk), User.letters_by_post.is_(False))):
            out[eid] = Recipient(uid, email, language or "en")
        missing = [eid for eid in chunk if eid not in out]
        if missing:
            for eid, uid, email, language in session.execute(
                    select(Enrollment.id, User.id, User.email, User.language)
                    .join(AccountLink, AccountLink.account_id == Enrollment.account_id)
                    .join(User, User.id == AccountLink.user_id)
                    .where(among(session, Enrollment.id, missing), User.role == "customer", User.active.is_(True),
                           User.letters_by_post.is_(False))
                    .order_by(Enrollment.id, AccountLink.linked_at.desc())):
                out.setdefault(eid, Recipient(uid, email, language or "en"))
    return out


class Letters:
    """Collects letters and writes them (outbox messages, then notices) in two statements.

    Wording is rendered once per distinct letter and language; the account number and link,
    which differ on every letter, are put in afterwards.
    """

    _ACCOUNT, _LINK = "\x00account\x00", "\x00link\x00"

    def __init__(self, session: Session) -> None:
        self.session = session
        self.rows: list[dict] = []
        self._cache: dict[tuple, tuple[str, str]] = {}

    def add(self, kind: str, *, enrollment_id: int, program, account: str, recipient: Recipient | None,
            application_id: int | None = None, link: str = "", language: str | None = None, **values) -> None:
        language = (recipient.language if recipient else language) or "en"
        key = (kind, program.id, language, tuple(sorted(values.items())))
        rendered = self._cache.get(key)
        if rendered is None:
            with force_locale(language):
                rendered = notices.render_enrollment(kind, language, program=program, account=self._ACCOUNT,
                                                     link=self._LINK, **values)
            self._cache[key] = rendered
        subject, body = (text.replace(self._ACCOUNT, account).replace(self._LINK, link) for text in rendered)
        self.rows.append({"kind": kind, "enrollment_id": enrollment_id, "application_id": application_id,
                          "recipient": recipient, "language": language, "subject": subject, "body": body})

    def write(self) -> int:
        if not self.rows:
            return 0
        emailed = [r for r in self.rows if r["recipient"] is not None]
        ids = queue_messages(self.session, [
            {"to": r["recipient"].email, "subject": r["subject"], "body": r["body"], "kind": f"enrollment.{r['kind']}",
             "language": r["language"], "user_id": r["recipient"].user_id} for r in emailed])
        message_of = {id(r): message_id for r, message_id in zip(emailed, ids)}
        now = clock.now()
        insert_rows(self.session, Notice, [
            {"application_id": r["application_id"], "enrollment_id": r["enrollment_id"], "kind": r["kind"],
             "language": r["language"], "subject": r["subject"], "body": r["body"], "created_at": now,
             "outbox_message_id": message_of.get(id(r)), "delivery": "email" if r["recipient"] else "post"}
            for r in self.rows])
        written = len(self.rows)
        self.rows = []
        return written


def send(session: Session, enrollment: Enrollment, kind: str, *, link: str = "", **values) -> None:
    """One letter about one enrollment, in the same transaction as the change it tells of."""
    account = session.get(Account, enrollment.account_id)
    letters = Letters(session)
    letters.add(kind, enrollment_id=enrollment.id, program=enrollment.program, account=account.number,
                recipient=recipients(session, [enrollment.id]).get(enrollment.id),
                application_id=enrollment.application_id, link=link, **values)
    letters.write()
    # Written past the ORM: what the session holds of these letters is read again when next used.
    session.expire(enrollment, ["notices"])
    if enrollment.application_id is not None:
        application = session.get(Application, enrollment.application_id)
        session.expire(application, ["notices"])
