"""Programs and their dated rule versions, and the guideline tables the rules point to.

A rule version is never edited (the migration installs triggers that refuse it): a change is a
new version, and of the versions whose dates cover a day the newest decides. Guideline tables
are reference data in the same way. A program's names, description and whether it is switched
on can change; those changes go to the audit log.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.database import Base, BigIntPK


class GuidelineTable(Base):
    """A published guideline by household size (HHS poverty guidelines, state median income)."""

    __tablename__ = "guideline_tables"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    region: Mapped[str] = mapped_column(String(100), nullable=False)
    year: Mapped[int] = mapped_column(nullable=False)
    period: Mapped[str] = mapped_column(String(10), nullable=False)
    amounts_cents: Mapped[list] = mapped_column(JSON, nullable=False)
    per_added_cents: Mapped[int] = mapped_column(nullable=False)
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    loaded_at: Mapped[datetime] = mapped_column(nullable=False)
    loaded_by_label: Mapped[str] = mapped_column(String(254), nullable=False)

    __table_args__ = (
        CheckConstraint("kind IN ('poverty_guideline', 'state_median_income')", name="kind"),
        CheckConstraint("period IN ('annual', 'monthly')", name="period"),
        CheckConstraint("per_added_cents >= 0", name="per_added_cents"),
    )

    def as_rules_table(self) -> dict:
        return {"code": self.code, "period": self.period, "amounts_cents": list(self.amounts_cents),
                "per_added_cents": self.per_added_cents, "source": self.source}


class Program(Base):
    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    names: Mapped[dict] = mapped_column(JSON, nullable=False)          # {"en": ..., "es": ...}
    descriptions: Mapped[dict] = mapped_column(JSON, nullable=False)
    services: Mapped[list] = mapped_column(JSON, nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    example: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # {"states": ["CA"]} and/or {"zips": [...]}: where the program is offered; None is anywhere.
    service_area: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)

    versions: Mapped[list["ProgramVersion"]] = relationship(back_populates="program",
                                                            order_by="ProgramVersion.number")

    __table_args__ = (
        CheckConstraint("kind IN ('discount', 'monthly_credit', 'one_time_grant')", name="kind"),
    )

    def name(self, language: str = "en") -> str:
        return self.names.get(language) or self.names["en"]

    def description(self, language: str = "en") -> str:
        return self.descriptions.get(language) or self.descriptions["en"]


class ProgramVersion(Base):
    """One dated version of a program's rules, as normalized data (amounts in cents)."""

    __tablename__ = "program_versions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), nullable=False)
    number: Mapped[int] = mapped_column(nullable=False)
    label: Mapped[str] = mapped_column(String(40), nullable=False)
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    effective_to: Mapped[date | None] = mapped_column(Date)
    rules: Mapped[dict] = mapped_column(JSON, nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_label: Mapped[str] = mapped_column(String(254), nullable=False)

    program: Mapped[Program] = relationship(back_populates="versions")

    __table_args__ = (
        UniqueConstraint("program_id", "number"),
        CheckConstraint("number >= 1", name="number"),
        CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="dates"),
    )

    @property
    def rule_version_id(self) -> str:
        from eligibility.definitions import version_id

        return version_id(self.program.code, self.number)
