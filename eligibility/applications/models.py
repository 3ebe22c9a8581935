"""Applications for assistance programs, their determinations and decisions, and enrollments.

An application covers one account and one or more programs that share the household facts. Its
status moves draft -> submitted -> in_review -> (needs_info ->) approved | denied | withdrawn |
closed, with `appealed` after a denial; every move is a row in `application_events` and an audit
record. `version` is the optimistic lock that makes a second, stale decision a 409.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.database import Base, BigIntPK

STATUSES = ("draft", "submitted", "in_review", "needs_info", "approved", "denied", "appealed", "withdrawn", "closed")
OPEN_STATUSES = ("draft", "submitted", "in_review", "needs_info", "appealed")
WAITING_FOR_STAFF = ("submitted", "in_review", "appealed")
WAITING_CONDITION = "applications.status IN ('submitted', 'in_review', 'appealed')"
PROGRAM_STATUSES = ("pending", "approved", "denied", "withdrawn")
REQUIREMENTS = ("income", "categorical", "other")
NOTICE_KINDS = ("receipt", "info_request", "approval", "denial", "appeal_outcome", "withdrawal", "closure",
                "enrollment_ended", "recert_reminder", "grace_started", "enrollment_expired", "verification_request",
                "verification_passed", "auto_enrolled")
# Why an application exists: a first application, renewing an enrollment, or proving income when asked.
PURPOSES = ("new", "recertification", "verification")
ENROLLMENT_SOURCES = ("application", "auto")
ENROLLMENT_STATUSES = ("active", "recertification_due", "in_grace", "expired", "removed", "ended")
CURRENT_ENROLLMENT = ("active", "recertification_due", "in_grace")  # the benefit still applies


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
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="draft")
    household: Mapped[dict] = mapped_column(JSON, nullable=False)
    categorical: Mapped[list] = mapped_column(JSON, nullable=False)
    language: Mapped[str] = mapped_column(String(5), nullable=False, default="en")
    signature: Mapped[str | None] = mapped_column(String(200))
    submitted_at: Mapped[datetime | None] = mapped_column()
    submitted_on: Mapped[date | None] = mapped_column(Date)  # the day that decides, utility time
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime | None] = mapped_column()
    info_due_on: Mapped[date | None] = mapped_column(Date)
    info_checklist: Mapped[list | None] = mapped_column(JSON)
    customer_responded: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False, default="new", server_default="new")
    enrollment_id: Mapped[int | None] = mapped_column(ForeignKey("enrollments.id", use_alter=True), index=True)
    # Demo and training applications: kept out of every participation report (reports/queries.py).
    test_record: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    programs: Mapped[list["ApplicationProgram"]] = relationship(back_populates="application",
                                                                order_by="ApplicationProgram.id",
                                                                cascade="all, delete-orphan")
    flags: Mapped[list["Flag"]] = relationship(order_by="Flag.id", cascade="all, delete-orphan")
    events: Mapped[list["ApplicationEvent"]] = relationship(order_by="ApplicationEvent.id")
    notices: Mapped[list["Notice"]] = relationship(order_by="Notice.id",
                                                   primaryjoin="Application.id == Notice.application_id")
    attachments: Mapped[list["ApplicationDocument"]] = relationship(order_by="ApplicationDocument.id")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("language", ("en", "es")), name="language"),
        CheckConstraint(_in("purpose", PURPOSES), name="purpose"),
        CheckConstraint("purpose = 'new' OR enrollment_id IS NOT NULL", name="purpose_enrollment"),
        # The queue: waiting applications, oldest first, paged by (submitted_at, id).
        Index("ix_applications_queue", "status", "submitted_at", "id"),
        # Everything waiting for staff in one ordered index, so page 100 costs what page 1 does.
        Index("ix_applications_waiting", "submitted_at", "id",
              sqlite_where=text("status IN ('submitted', 'in_review', 'appealed')"),
              postgresql_where=text("status IN ('submitted', 'in_review', 'appealed')")),  # WAITING_FOR_STAFF
        Index("ix_applications_assigned", "assigned_to_id", "status"),
    )


class ApplicationProgram(Base):
    """One program on an application: the preliminary determination and the decision."""

    __tablename__ = "application_programs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="pending")
    determination: Mapped[dict | None] = mapped_column(JSON)
    income_basis: Mapped[str] = mapped_column(String(10), nullable=False, default="documented")
    income_basis_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason_code: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)  # the staff's internal note: never in a letter
    message: Mapped[str | None] = mapped_column(Text)  # what the letter tells the customer

    application: Mapped[Application] = relationship(back_populates="programs")
    program = relationship("Program")

    __table_args__ = (
        UniqueConstraint("application_id", "program_id"),
        Index("ix_application_programs_program", "program_id", "application_id"),
        CheckConstraint(_in("status", PROGRAM_STATUSES), name="status"),
        CheckConstraint(_in("income_basis", ("documented", "declared")), name="income_basis"),
    )


class ApplicationDocument(Base):
    __tablename__ = "application_documents"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False, index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), nullable=False, index=True)
    requirement: Mapped[str] = mapped_column(String(12), nullable=False)
    added_at: Mapped[datetime] = mapped_column(nullable=False)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)

    document = relationship("Document")

    __table_args__ = (
        UniqueConstraint("application_id", "document_id"),
        CheckConstraint(_in("requirement", REQUIREMENTS), name="requirement"),
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


class Notice(Base):
    """A letter to the customer, in their language: kept here, shown in the portal, mailed by the outbox.

    It belongs to an application, an enrollment, or both. `delivery` is `post` when nobody has a
    login on the account (a household enrolled from a partner agency's file): the letter waits
    for the next print run (`print_run_id`) instead of the outbox.
    """

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    enrollment_id: Mapped[int | None] = mapped_column(ForeignKey("enrollments.id"), index=True)
    delivery: Mapped[str] = mapped_column(String(5), nullable=False, default="email", server_default="email")
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    language: Mapped[str] = mapped_column(String(5), nullable=False)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))
    print_run_id: Mapped[int | None] = mapped_column(ForeignKey("print_runs.id"), index=True)

    __table_args__ = (
        CheckConstraint(_in("kind", NOTICE_KINDS), name="kind"),
        # The letters waiting for the next print run, found without reading every letter.
        Index("ix_notices_to_print", "id", sqlite_where=text("delivery = 'post' AND print_run_id IS NULL"),
              postgresql_where=text("delivery = 'post' AND print_run_id IS NULL")),
        CheckConstraint(_in("delivery", ("email", "post")), name="delivery"),
        CheckConstraint("application_id IS NOT NULL OR enrollment_id IS NOT NULL", name="about"),
    )


class Enrollment(Base):
    """An account in a program for a certification period. One current enrollment per account and program.

    `certified_from`/`certified_to` are the certification period now in force (a recertification
    moves them); `enrolled_from` is the first day of the benefit, which a recertification never
    moves, so the benefit runs without a gap through grace and renewal. `application_id` is the
    application that certified the current period; none for a household enrolled from a partner
    agency's file (`source` auto, with the agency's reference and the qualifying program).
    """

    __tablename__ = "enrollments"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), nullable=False)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="active")
    certified_from: Mapped[date] = mapped_column(Date, nullable=False)
    certified_to: Mapped[date] = mapped_column(Date, nullable=False)
    enrolled_from: Mapped[date] = mapped_column(Date, nullable=False)
    grace_ends_on: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(12), nullable=False, default="application", server_default="application")
    categorical: Mapped[str | None] = mapped_column(String(20))
    agency_reference: Mapped[str | None] = mapped_column(String(80))
    opted_out_at: Mapped[datetime | None] = mapped_column()
    household_type: Mapped[str] = mapped_column(String(14), nullable=False)
    rule_version: Mapped[str] = mapped_column(String(60), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column()
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(Text)

    program = relationship("Program")
    history: Mapped[list["EnrollmentEvent"]] = relationship(order_by="EnrollmentEvent.id")
    notices: Mapped[list["Notice"]] = relationship(order_by="Notice.id", viewonly=True)

    __table_args__ = (
        CheckConstraint(_in("status", ENROLLMENT_STATUSES), name="status"),
        CheckConstraint("certified_to >= certified_from", name="period"),
        CheckConstraint(_in("source", ENROLLMENT_SOURCES), name="source"),
        CheckConstraint("source = 'auto' OR application_id IS NOT NULL", name="source_application"),
        # The daily job walks current enrollments by expiry.
        Index("ix_enrollments_status_expiry", "status", "certified_to"),
        Index("ix_enrollments_account", "account_id", "program_id"),
        CheckConstraint(_in("household_type", ("standard", "senior_only", "auto_enrolled")), name="household_type"),
        # One current enrollment per account and program, whatever stage of its certification.
        Index("uq_enrollments_current", "account_id", "program_id", unique=True,
              sqlite_where=text("status IN ('active', 'recertification_due', 'in_grace')"),
              postgresql_where=text("status IN ('active', 'recertification_due', 'in_grace')")),
    )


class EnrollmentEvent(Base):
    """An enrollment's history: every change of status, with who and why."""

    __tablename__ = "enrollment_events"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), nullable=False, index=True)
    occurred_at: Mapped[datetime] = mapped_column(nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(254), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)


class DenialReason(Base):
    """The reasons managers keep for denials, in both languages."""

    __tablename__ = "denial_reasons"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    labels: Mapped[dict] = mapped_column(JSON, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class Appeal(Base):
    """A denied customer's appeal of one program's decision; a manager upholds or overturns it."""

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
