"""Inspections of a reserved or claimed rebate project, and the time slots the utility publishes.

An inspection names its application by id and a stage (`reservation`, `claim`) because the rebate
kind's lifecycle builds on top of it. A slot's `booked` never passes its `capacity` (a CHECK and a
guarded UPDATE), so two customers taking the last place at once cannot overbook it.
"""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Integer, Numeric, String, Text, Time,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base, BigIntPK

KINDS = ("pre", "post", "quality")
STAGES = ("reservation", "claim")
STATUSES = ("requested", "scheduled", "completed", "no_show", "cancelled")
RESULTS = ("pass", "fail", "remediation_required")
MAX_RESCHEDULES = 2


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class InspectionSlot(Base):
    __tablename__ = "inspection_slots"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    day: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    starts: Mapped[time] = mapped_column(Time, nullable=False)
    ends: Mapped[time] = mapped_column(Time, nullable=False)
    zip_code: Mapped[str | None] = mapped_column(String(10))
    capacity: Mapped[int] = mapped_column(Integer, nullable=False)
    booked: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(nullable=False)

    __table_args__ = (
        CheckConstraint("capacity >= 1", name="capacity"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked"),
        CheckConstraint("ends > starts", name="window"),
    )


class Inspection(Base):
    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False, index=True)
    stage: Mapped[str] = mapped_column(String(12), nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    reason: Mapped[str] = mapped_column(String(80), nullable=False)       # the rule or "random 10%"
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="requested")
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_slots.id"), index=True)
    window_starts: Mapped[datetime | None] = mapped_column()
    window_ends: Mapped[datetime | None] = mapped_column()
    call_requested: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    reschedules: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    result: Mapped[str | None] = mapped_column(String(24))
    findings: Mapped[str] = mapped_column(Text, nullable=False, default="")
    measured_area: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    fix_due_on: Mapped[date | None] = mapped_column(Date)
    # A re-inspection names the failed one it closes.
    follows_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"))
    reminded_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint(_in("stage", STAGES), name="stage"),
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(f"result IS NULL OR {_in('result', RESULTS)}", name="result"),
        CheckConstraint("(status = 'completed') = (result IS NOT NULL)", name="completed_result"),
        CheckConstraint(f"reschedules >= 0 AND reschedules <= {MAX_RESCHEDULES}", name="reschedules"),
        CheckConstraint("measured_area IS NULL OR measured_area >= 0", name="measured_area"),
    )


class InspectionPhoto(Base):
    """A photo taken on site: the file is a `documents` upload (encrypted, every view audited)."""

    __tablename__ = "inspection_photos"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), nullable=False, index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), nullable=False)
    added_at: Mapped[datetime] = mapped_column(nullable=False)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)

    __table_args__ = (UniqueConstraint("inspection_id", "document_id"),)
