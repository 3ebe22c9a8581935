"""Enrollments: an account in an assistance program for a certification period, and their history.

The one home of enrollments: approval creates them (`eligibility.enrollments.service`), the
credits run posts their benefit, recertification keeps them current.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.database import Base, BigIntPK
from notices.models import Notice

ENROLLMENT_SOURCES = ("application", "auto")
ENROLLMENT_STATUSES = ("active", "recertification_due", "in_grace", "expired", "removed", "ended")
CURRENT_ENROLLMENT = ("active", "recertification_due", "in_grace")  # the benefit still applies


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


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
    notices: Mapped[list[Notice]] = relationship(Notice, order_by=Notice.id, viewonly=True,
                                                 primaryjoin="Enrollment.id == Notice.enrollment_id")

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
