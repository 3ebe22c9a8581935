"""Applications of every kind: the case shared by assistance and rebates, its history, files, flags and appeals.

An application covers one account. `kind` says which area it belongs to (`assistance`, later
`rebate`); what differs by kind (the household, the programs or items decided, what a decision
does) lives in the kind's own 1:1 detail table and in the kind registry (`applications.kinds`).
Its status moves draft -> submitted -> in_review -> (needs_info ->) approved | denied | withdrawn |
closed, with `appealed` after a denial; every move is a row in `application_events` and an audit
record. `version` is the optimistic lock that makes a second, stale decision a 409.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.database import Base, BigIntPK
from notices.models import Notice

# `waitlisted` (a rebate submitted while its budget cannot cover it) and `reserved` (a rebate reservation
# approved, the claim not yet sent) are rebate statuses; the lifecycle treats both as open.
STATUSES = ("draft", "submitted", "in_review", "needs_info", "approved", "denied", "appealed", "withdrawn", "closed",
            "waitlisted", "reserved")
OPEN_STATUSES = ("draft", "submitted", "in_review", "needs_info", "appealed", "waitlisted", "reserved")
WAITING_FOR_STAFF = ("submitted", "in_review", "appealed")
WAITING_CONDITION = "applications.status IN ('submitted', 'in_review', 'appealed')"
# What each decided line (a program on an assistance application, an item on a rebate) can be.
LINE_STATUSES = ("pending", "approved", "denied", "withdrawn")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Application(Base):
    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)  # the confirmation number
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False, index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    assisted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="assistance", server_default="assistance")
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="draft")
    language: Mapped[str] = mapped_column(String(5), nullable=False, default="en")
    signature: Mapped[str | None] = mapped_column(String(200))
    submitted_at: Mapped[datetime | None] = mapped_column()
    submitted_on: Mapped[date | None] = mapped_column(Date)  # the day that decides, utility time
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime | None] = mapped_column()
    info_due_on: Mapped[date | None] = mapped_column(Date)
    info_checklist: Mapped[list | None] = mapped_column(JSON)
    customer_responded: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Demo and training applications: kept out of every participation report (reports/queries.py).
    test_record: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    flags: Mapped[list["Flag"]] = relationship(order_by="Flag.id", cascade="all, delete-orphan")
    events: Mapped[list["ApplicationEvent"]] = relationship(order_by="ApplicationEvent.id")
    notices: Mapped[list[Notice]] = relationship(Notice, order_by=Notice.id,
                                                 primaryjoin="Application.id == Notice.application_id",
                                                 viewonly=True)
    attachments: Mapped[list["ApplicationDocument"]] = relationship(order_by="ApplicationDocument.id")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("language", ("en", "es")), name="language"),
        # The queue: waiting applications, oldest first, paged by (submitted_at, id).
        Index("ix_applications_queue", "status", "submitted_at", "id"),
        # Everything waiting for staff in one ordered index, so page 100 costs what page 1 does.
        Index("ix_applications_waiting", "submitted_at", "id",
              sqlite_where=text("status IN ('submitted', 'in_review', 'appealed')"),
              postgresql_where=text("status IN ('submitted', 'in_review', 'appealed')")),  # WAITING_FOR_STAFF
        Index("ix_applications_assigned", "assigned_to_id", "status"),
    )


class ApplicationDocument(Base):
    __tablename__ = "application_documents"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False, index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), nullable=False, index=True)
    requirement: Mapped[str] = mapped_column(String(20), nullable=False)  # one of the kind's requirements
    added_at: Mapped[datetime] = mapped_column(nullable=False)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)

    document = relationship("Document")

    __table_args__ = (
        UniqueConstraint("application_id", "document_id"),
    )


class Flag(Base):
    """Something for the CSR to look at; it informs and never blocks a decision."""

    __tablename__ = "application_flags"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    program_code: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text, nullable=False)
    details: Mapped[dict] = mapped_column(JSON, nullable=False)
    raised_at: Mapped[datetime] = mapped_column(nullable=False)

    __table_args__ = (Index("ix_application_flags_code", "code", "application_id"),)


class ApplicationEvent(Base):
    """The status history a CSR and the customer see."""

    __tablename__ = "application_events"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False, index=True)
    occurred_at: Mapped[datetime] = mapped_column(nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(254), nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12), nullable=False)
    program_code: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)


class DenialReason(Base):
    """The reasons managers keep for denials of one kind of application, in both languages."""

    __tablename__ = "denial_reasons"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="assistance", server_default="assistance")
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    labels: Mapped[dict] = mapped_column(JSON, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    __table_args__ = (UniqueConstraint("kind", "code"),)


class Appeal(Base):
    """A denied customer's appeal of one line's decision (`program_code`: the program or item's code);
    a manager upholds or overturns it."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False, index=True)
    program_code: Mapped[str] = mapped_column(String(40), nullable=False)
    filed_at: Mapped[datetime] = mapped_column(nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (CheckConstraint("outcome IS NULL OR outcome IN ('upheld', 'overturned')", name="outcome"),)
