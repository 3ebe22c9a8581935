"""The assistance kind's part of an application: the household facts, why it exists, and the programs decided.

`AssistanceApplication` is the 1:1 detail of an `applications.Application` whose kind is
`assistance`; `ApplicationProgram` is one program on it with its preliminary determination and
its decision (the lines the lifecycle decides and appeals).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from applications.models import LINE_STATUSES, Application
from core.database import Base, BigIntPK

# Why an application exists: a first application, renewing an enrollment, or proving income when asked.
PURPOSES = ("new", "recertification", "verification")
# A renewal or verification the customer has sent: no more reminders, and no expiry while staff decide.
RENEWAL_PENDING = ("submitted", "in_review", "needs_info", "appealed")
REQUIREMENTS = ("income", "categorical", "other")
PROGRAM_STATUSES = LINE_STATUSES


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class AssistanceApplication(Base):
    """What an assistance application says beyond the common case: the household, its benefits, its purpose."""

    __tablename__ = "assistance_applications"

    application_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("applications.id"), primary_key=True)
    household: Mapped[dict] = mapped_column(JSON, nullable=False)
    categorical: Mapped[list] = mapped_column(JSON, nullable=False)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False, default="new", server_default="new")
    enrollment_id: Mapped[int | None] = mapped_column(ForeignKey("enrollments.id"), index=True)
    # A renewal: the people from last time (by place) the customer confirmed as still right.
    confirmed_members: Mapped[list | None] = mapped_column(JSON)

    application: Mapped[Application] = relationship(Application, back_populates="assistance")

    __table_args__ = (
        CheckConstraint(_in("purpose", PURPOSES), name="purpose"),
        CheckConstraint("purpose = 'new' OR enrollment_id IS NOT NULL", name="purpose_enrollment"),
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

    application: Mapped[Application] = relationship(Application, back_populates="programs")
    program = relationship("Program")

    @property
    def code(self) -> str:
        """The line's code, as the lifecycle and appeals name it."""
        return self.program.code

    __table_args__ = (
        UniqueConstraint("application_id", "program_id"),
        Index("ix_application_programs_program", "program_id", "application_id"),
        CheckConstraint(_in("status", PROGRAM_STATUSES), name="status"),
        CheckConstraint(_in("income_basis", ("documented", "declared")), name="income_basis"),
    )


# The kind's side of the case, reached from the case as `application.assistance` and
# `application.programs` (declarative lets the area that owns a detail add it to the case).
Application.assistance = relationship(AssistanceApplication, uselist=False, back_populates="application",
                                      cascade="all, delete-orphan")
Application.programs = relationship(ApplicationProgram, back_populates="application", order_by=ApplicationProgram.id,
                                    cascade="all, delete-orphan")
