"""The rebate kind's part of an application: the program, who applies, how they are paid, and the items.

`RebateApplication` is the 1:1 detail of an `applications.Application` whose kind is `rebate`; it
is also the one line the lifecycle decides (approve the quote or less, or deny). `RebateItem` is a
purchase on it with the quote's result for it; `RebateDocument` says which item a receipt or photo
belongs to. Money is integer cents.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from applications.models import LINE_STATUSES, Application, ApplicationDocument
from core.database import Base, BigIntPK
from rebates.models import RebateProgram

PAYMENT_METHODS = ("bill_credit", "check")
APPLICANT_ROLES = ("owner", "tenant")
REQUIREMENTS = ("receipt", "photo", "other")
COST_FIELDS = ("price", "tax", "labor", "delivery", "discounts")
# Applications whose items count for the limits while undecided (h5's `waitlisted` included).
UNDECIDED = ("submitted", "in_review", "needs_info", "appealed", "waitlisted")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class RebateApplication(Base):
    """What a rebate application says beyond the common case; the line the CSR decides."""

    __tablename__ = "rebate_applications"

    application_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("applications.id"), primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("rebate_programs.id"), nullable=False, index=True)
    # The account's normalized service address when the draft was made: limits per home follow it.
    premise: Mapped[str] = mapped_column(String(300), nullable=False, index=True)
    payment_method: Mapped[str] = mapped_column(String(12), nullable=False, default="bill_credit")
    mailing_address: Mapped[dict | None] = mapped_column(JSON)
    applicant_role: Mapped[str] = mapped_column(String(8), nullable=False, default="owner")
    owner_name: Mapped[str | None] = mapped_column(String(200))
    owner_contact: Mapped[str | None] = mapped_column(String(200))
    owner_consent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    quote_cents: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    approved_cents: Mapped[int | None] = mapped_column(Integer)
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    # The decision, as the lifecycle reads a line.
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="pending")
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason_code: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text)

    application: Mapped[Application] = relationship(Application, back_populates="rebate")
    program: Mapped[RebateProgram] = relationship(RebateProgram)
    items: Mapped[list["RebateItem"]] = relationship(order_by="RebateItem.position", cascade="all, delete-orphan",
                                                     back_populates="rebate")

    @property
    def code(self) -> str:
        """The line's code, as the lifecycle and appeals name it: the program's."""
        return self.program.code

    __table_args__ = (
        CheckConstraint(_in("payment_method", PAYMENT_METHODS), name="payment_method"),
        CheckConstraint("payment_method = 'bill_credit' OR mailing_address IS NOT NULL", name="check_address"),
        CheckConstraint(_in("applicant_role", APPLICANT_ROLES), name="applicant_role"),
        CheckConstraint(_in("status", LINE_STATUSES), name="status"),
        CheckConstraint("quote_cents >= 0", name="quote_cents"),
        CheckConstraint("approved_cents IS NULL OR (approved_cents >= 0 AND approved_cents <= quote_cents)",
                        name="approved_cents"),
    )


class RebateItem(Base):
    """One purchase: what was bought and installed, what it cost, and what the quote gave it."""

    __tablename__ = "rebate_items"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("rebate_applications.application_id"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)  # 0-based, as the API names items
    measure: Mapped[str] = mapped_column(String(40), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    model: Mapped[str | None] = mapped_column(String(100))
    purchased_on: Mapped[date] = mapped_column(Date, nullable=False)
    installed_on: Mapped[date | None] = mapped_column(Date)
    price_cents: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    tax_cents: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    labor_cents: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    delivery_cents: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    discounts_cents: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    attributes: Mapped[dict] = mapped_column(JSON, nullable=False)  # values as decimal text, exact
    retailer: Mapped[str | None] = mapped_column(String(200))
    invoice_number: Mapped[str | None] = mapped_column(String(100))
    # The quote's result for the item (computed at each change of the draft and at submission).
    counted_quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    amount_cents: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    reasons: Mapped[list] = mapped_column(JSON, nullable=False)
    rule_version: Mapped[str | None] = mapped_column(String(60))
    explanation: Mapped[dict] = mapped_column(JSON, nullable=False)  # by language: {"en": ..., "es": ...}

    rebate: Mapped[RebateApplication] = relationship(RebateApplication, back_populates="items")

    __table_args__ = (
        Index("ix_rebate_items_invoice", "retailer", "invoice_number"),
        Index("ix_rebate_items_application", "application_id", "position"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("price_cents >= 0 AND tax_cents >= 0 AND labor_cents >= 0 AND delivery_cents >= 0 "
                        "AND discounts_cents >= 0", name="costs"),
        CheckConstraint("amount_cents >= 0 AND counted_quantity >= 0", name="quote"),
    )


class RebateDocument(Base):
    """Which item a receipt or photo of a rebate application belongs to."""

    __tablename__ = "rebate_documents"

    attachment_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("application_documents.id"), primary_key=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("rebate_items.id", ondelete="SET NULL"), index=True)

    attachment: Mapped[ApplicationDocument] = relationship(ApplicationDocument)


Application.rebate = relationship(RebateApplication, uselist=False, back_populates="application",
                                  cascade="all, delete-orphan")
