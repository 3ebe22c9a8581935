"""Letters kept as sent, and the print runs that take the ones going by post."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base, BigIntPK


class Notice(Base):
    """A letter to a household, in its language: kept here, shown in the portal, mailed by the outbox.

    It belongs to an account, and optionally to an application, an enrollment, or both. `kind` is
    one of the kinds registered in `notices.wording` (no list in the database: a new area adds its
    letters without a migration). `delivery` is `post` when nobody has a login on the account (a
    household enrolled from a partner agency's file): the letter waits for the next print run
    (`print_run_id`) instead of the outbox.
    """

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False, index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    enrollment_id: Mapped[int | None] = mapped_column(ForeignKey("enrollments.id"), index=True)
    delivery: Mapped[str] = mapped_column(String(5), nullable=False, default="email", server_default="email")
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    language: Mapped[str] = mapped_column(String(5), nullable=False)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))
    print_run_id: Mapped[int | None] = mapped_column(ForeignKey("print_runs.id"), index=True)
    # The addressee's postal address when they gave one (a paper customer), stored when the letter is
    # written (this package cannot look up the applicant); None: the account's service address.
    mail_to: Mapped[str | None] = mapped_column(Text)
    mail_zip: Mapped[str | None] = mapped_column(String(10))  # its ZIP, for the print run's mailing order

    __table_args__ = (
        # The letters waiting for the next print run, found without reading every letter.
        Index("ix_notices_to_print", "id", sqlite_where=text("delivery = 'post' AND print_run_id IS NULL"),
              postgresql_where=text("delivery = 'post' AND print_run_id IS NULL")),
        CheckConstraint("delivery IN ('email', 'post')", name="delivery"),
    )


class PrintRun(Base):
    """A batch of letters taken for printing and mailing: each `post` letter joins exactly one."""

    __tablename__ = "print_runs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(254), nullable=False)
    letters: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (CheckConstraint("letters >= 0", name="letters"),)
