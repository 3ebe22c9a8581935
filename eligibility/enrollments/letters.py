"""Letters about enrollments, one or thousands at a time: who receives them, and writing them.

A letter goes to the applicant whose application certified the enrollment, else to a customer
linked to the account; with nobody to email (a household enrolled from an agency's file that
never signed up) it is kept for the print run (`delivery` post). Either way it shows in the
customer's portal and on the staff pages. The wording is `eligibility.enrollments.wording`.
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import Account, AccountLink
from applications.models import Application
from core.bulk import among
from eligibility.enrollments import wording as _wording  # noqa: F401 - registers the enrollment letters
from eligibility.enrollments.models import Enrollment
from notices.service import Letters as _Letters, Recipient

__all__ = ("Letters", "Recipient", "recipients", "send")


class Letters(_Letters):
    """Enrollment letters in bulk: their outbox messages are kinds `enrollment.<kind>`."""

    def __init__(self, session: Session) -> None:
        super().__init__(session, outbox_prefix="enrollment.")


def recipients(session: Session, enrollment_ids: Iterable[int]) -> dict[int, Recipient]:
    """Who each enrollment's letter is for: the applicant who certified it, else a customer linked to
    the account, by email; else by post to the applicant, in their language. None when nobody is known
    (a household enrolled from an agency's file): by post, in English."""
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
        if missing:  # the applicant has no email login: another customer linked to the account may

            for eid, uid, email, language in session.execute(
                    select(Enrollment.id, User.id, User.email, User.language)
                    .join(AccountLink, AccountLink.account_id == Enrollment.account_id)
                    .join(User, User.id == AccountLink.user_id)
                    .where(among(session, Enrollment.id, missing), User.role == "customer", User.active.is_(True),
                           User.letters_by_post.is_(False))
                    .order_by(Enrollment.id, AccountLink.linked_at.desc())):
                out.setdefault(eid, Recipient(uid, email, language or "en"))
        missing = [eid for eid in chunk if eid not in out]
        if missing:  # nobody to email: the letter goes by post, in the language of the customer it is for,
            # to their postal address when they gave one
            for eid, uid, language, postal_address in session.execute(
                    select(Enrollment.id, User.id, User.language, User.postal_address)
                    .join(Application, Application.id == Enrollment.application_id)
                    .join(User, User.id == Application.applicant_id)
                    .where(among(session, Enrollment.id, missing))):
                out.setdefault(eid, Recipient(uid, None, language or "en", postal_address or None))
    return out


def send(session: Session, enrollment: Enrollment, kind: str, *, link: str = "", **values) -> None:
    """One letter about one enrollment, in the same transaction as the change it tells of."""
    account = session.get(Account, enrollment.account_id)
    letters = Letters(session)
    letters.add(kind, account_id=account.id, enrollment_id=enrollment.id, program=enrollment.program,
                account=account.number, recipient=recipients(session, [enrollment.id]).get(enrollment.id),
                application_id=enrollment.application_id, link=link, **values)
    letters.write()
    # Written past the ORM: what the session holds of these letters is read again when next used.
    session.expire(enrollment, ["notices"])
    if enrollment.application_id is not None:
        application = session.get(Application, enrollment.application_id)
        session.expire(application, ["notices"])
