"""Rebate programs with their dated rule versions, and qualified product lists with theirs.

A rule version is never edited (the application role may not UPDATE or DELETE it): a change is a
new version with dates that do not overlap the others. A product list version keeps the models
it listed, so a quote can be replayed as of its date. Applications, budgets and reservations
(the next issues) hang off `RebateProgram.id` and `RebateProgramVersion.id`.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.database import Base, BigIntPK


class RebateProgram(Base):
    __tablename__ = "rebate_programs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    names: Mapped[dict] = mapped_column(JSON, nullable=False)          # {"en": ..., "es": ...}
    descriptions: Mapped[dict] = mapped_column(JSON, nullable=False)
    example: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    fiscal_year_starts: Mapped[str] = mapped_column(String(5), nullable=False, default="07-01")  # MM-DD
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)

    versions: Mapped[list["RebateProgramVersion"]] = relationship(back_populates="program",
                                                                  order_by="RebateProgramVersion.number")

    __table_args__ = (
        CheckConstraint("length(fiscal_year_starts) = 5", name="fiscal_year_starts"),
    )

    def name(self, language: str = "en") -> str:
        return self.names.get(language) or self.names["en"]

    def description(self, language: str = "en") -> str:
        return self.descriptions.get(language) or self.descriptions.get("en") or ""


class RebateProgramVersion(Base):
    """One dated version: its measures as the file wrote them, every default filled in."""

    __tablename__ = "rebate_program_versions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("rebate_programs.id"), nullable=False)
    number: Mapped[int] = mapped_column(nullable=False)
    label: Mapped[str] = mapped_column(String(40), nullable=False)
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    effective_to: Mapped[date | None] = mapped_column(Date)
    measures: Mapped[list] = mapped_column(JSON, nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_label: Mapped[str] = mapped_column(String(254), nullable=False)

    program: Mapped[RebateProgram] = relationship(back_populates="versions")

    __table_args__ = (
        UniqueConstraint("program_id", "number"),
        UniqueConstraint("program_id", "effective_from"),
        CheckConstraint("number >= 1", name="number"),
        CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="dates"),
    )

    @property
    def rule_version_id(self) -> str:
        return f"{self.program.code}.v{self.number}"


class ProductList(Base):
    """A qualified product list (EPA WaterSense, ENERGY STAR, MaP Premium, or the utility's own)."""

    __tablename__ = "rebate_product_lists"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)

    versions: Mapped[list["ProductListVersion"]] = relationship(back_populates="product_list",
                                                                order_by="ProductListVersion.number")


class ProductListVersion(Base):
    __tablename__ = "rebate_product_list_versions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("rebate_product_lists.id"), nullable=False)
    number: Mapped[int] = mapped_column(nullable=False)
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False, default="")
    file_name: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    file_sha256: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    models_count: Mapped[int] = mapped_column(nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    created_by_label: Mapped[str] = mapped_column(String(254), nullable=False)

    product_list: Mapped[ProductList] = relationship(back_populates="versions")

    __table_args__ = (
        UniqueConstraint("list_id", "number"),
        CheckConstraint("number >= 1", name="number"),
        CheckConstraint("models_count >= 0", name="models_count"),
    )


class ProductListModel(Base):
    """One model on one version of a list; `normalized` ignores case, spaces and dashes."""

    __tablename__ = "rebate_product_models"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("rebate_product_list_versions.id"), nullable=False)
    brand: Mapped[str] = mapped_column(String(200), nullable=False)
    model_number: Mapped[str] = mapped_column(String(200), nullable=False)
    normalized: Mapped[str] = mapped_column(String(200), nullable=False)
    attributes: Mapped[dict] = mapped_column(JSON, nullable=False)     # {"gpf": "0.8"}: decimals as text

    __table_args__ = (
        UniqueConstraint("version_id", "normalized"),
        Index("ix_rebate_product_models_normalized", "normalized"),
    )
