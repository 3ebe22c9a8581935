"""What the daily job has done, recorded so that it is done once.

A row in `enrollment_steps` is the claim on one step of one enrollment (the 60-day reminder
before the expiry of 2028-11-22, the verification draw of 2026-12): the unique constraint lets
exactly one of two concurrent runs insert it, and only the run that inserted it sends the notice.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base, BigIntPK

STEP_KINDS = ("reminder", "verification")


class EnrollmentStep(Base):
    __tablename__ = "enrollment_steps"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    # reminder: "<expiry>:<days before>"; verification: the month drawn, "2026-12"
    key: Mapped[str] = mapped_column(String(40), nullable=False)
    days_before: Mapped[int | None] = mapped_column(Integer)
    taken_on: Mapped[date] = mapped_column(Date, nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)

    __table_args__ = (
        UniqueConstraint("enrollment_id", "kind", "key"),
        CheckConstraint("kind IN ('reminder', 'verification')", name="kind"),
        Index("ix_enrollment_steps_taken", "taken_on", "kind"),
    )


class VerificationDraw(Base):
    """One program's monthly draw for post-enrollment verification, with the seed that repeats it."""

    __tablename__ = "verification_draws"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), nullable=False)
    month: Mapped[str] = mapped_column(String(7), nullable=False)
    seed: Mapped[str] = mapped_column(String(64), nullable=False)
    rate_percent: Mapped[str] = mapped_column(String(12), nullable=False)
    rule_version: Mapped[str] = mapped_column(String(60), nullable=False)
    population: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    selected: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    drawn_on: Mapped[date] = mapped_column(Date, nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    completed_at: Mapped[datetime | None] = mapped_column()  # every chosen enrollee has been asked
    actor_label: Mapped[str] = mapped_column(String(254), nullable=False)

    __table_args__ = (
        UniqueConstraint("program_id", "month"),
        CheckConstraint("population >= 0 AND selected >= 0 AND selected <= population", name="counts"),
    )
