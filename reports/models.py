"""The reports area's own records: who manages which program, eligible-population estimates, report jobs.

None of them is domain data: a report job is a file being built for one person, an estimate is a
figure managers load per program, ZIP and year, and a manager's programs decide what they see.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base, BigIntPK

JOB_STATUSES = ("queued", "running", "done", "failed", "expired")


class ProgramManager(Base):
    """A manager assigned to a program; a manager assigned to none sees every program."""

    __tablename__ = "program_managers"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    assigned_at: Mapped[datetime] = mapped_column(nullable=False)
    assigned_by_label: Mapped[str] = mapped_column(String(254), nullable=False)

    __table_args__ = (UniqueConstraint("program_id", "user_id"),)


class EligibleEstimate(Base):
    """Estimated eligible households of a program in a ZIP code for a year (the penetration denominator)."""

    __tablename__ = "eligible_estimates"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), nullable=False)
    zip: Mapped[str] = mapped_column(String(10), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    households: Mapped[int] = mapped_column(Integer, nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    loaded_at: Mapped[datetime] = mapped_column(nullable=False)
    loaded_by_label: Mapped[str] = mapped_column(String(254), nullable=False)

    __table_args__ = (
        UniqueConstraint("program_id", "zip", "year"),
        CheckConstraint("households >= 0", name="households"),
        CheckConstraint("year >= 2000 AND year <= 2100", name="year"),
    )


class ReportJob(Base):
    """A workbook built in the background for one person; its file is encrypted and removed at `expires_at`."""

    __tablename__ = "report_jobs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    token: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)  # the id the API shows
    report: Mapped[str] = mapped_column(String(40), nullable=False)
    parameters: Mapped[dict] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="queued")
    progress: Mapped[dict] = mapped_column(JSON, nullable=False)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()
    storage_name: Mapped[str | None] = mapped_column(String(64))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    notified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed', 'expired')", name="status"),
        CheckConstraint("size_bytes IS NULL OR size_bytes >= 0", name="size_bytes"),
    )
