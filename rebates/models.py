"""Rebate programs with their dated rule versions, and qualified product lists with theirs.

A rule version is never edited (the application role may not UPDATE or DELETE it): a change is a
new version with dates that do not overlap the others. A product list version keeps the models
it listed, so a quote can be replayed as of its date. Applications, budgets and reservations
(the next issues) hang off `RebateProgram.id` and `RebateProgramVersion.id`.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, text, true
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
    # Rebates count toward the 1099 threshold unless the program is not reportable (energy
    # conservation subsidies are excluded from income, IRC §136).
    tax_reportable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default=true())
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


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# --- budgets and their ledger ------------------------------------------------------------------

BUDGET_ENTRY_KINDS = ("hold", "release", "commit", "payment")


class RebateBudget(Base):
    """A program's budget for one fiscal year (named by the year it ends).

    `amount_cents` is the only figure stored; held, committed and paid are sums of the ledger. The
    row is also the lock every hold, commit, release and offer takes (SELECT ... FOR UPDATE), so
    two submissions at once cannot both take the last dollars.
    """

    __tablename__ = "rebate_budgets"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("rebate_programs.id"), nullable=False)
    fiscal_year: Mapped[int] = mapped_column(nullable=False)
    amount_cents: Mapped[int] = mapped_column(nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)

    program: Mapped[RebateProgram] = relationship()

    __table_args__ = (
        UniqueConstraint("program_id", "fiscal_year"),
        CheckConstraint("amount_cents >= 0", name="amount"),
        CheckConstraint("fiscal_year BETWEEN 2000 AND 2200", name="fiscal_year"),
    )


class RebateBudgetChange(Base):
    """Each time a budget was set or raised: from what, to what, who and why. Never edited."""

    __tablename__ = "rebate_budget_changes"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("rebate_budgets.id"), nullable=False, index=True)
    old_cents: Mapped[int] = mapped_column(nullable=False)
    new_cents: Mapped[int] = mapped_column(nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    changed_at: Mapped[datetime] = mapped_column(nullable=False)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_by_label: Mapped[str] = mapped_column(String(254), nullable=False)

    __table_args__ = (
        CheckConstraint("old_cents >= 0", name="old_cents"),
        CheckConstraint("new_cents > old_cents", name="raised"),
    )


class RebateBudgetEntry(Base):
    """One row of a budget's append-only ledger: a hold, release, commit or payment for an application."""

    __tablename__ = "rebate_budget_entries"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("rebate_budgets.id"), nullable=False)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    amount_cents: Mapped[int] = mapped_column(nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    created_by_label: Mapped[str] = mapped_column(String(254), nullable=False)

    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(_in("kind", BUDGET_ENTRY_KINDS), name="kind"),
        Index("ix_rebate_budget_entries_budget_kind", "budget_id", "kind"),
    )


WAITLIST_STATES = ("waiting", "offered", "left")


class RebateWaitlistEntry(Base):
    """An application waiting for money, in line by submission time then id (never an unordered set).

    `offered`: the money came and was held for it; `left`: withdrawn, closed or expired while waiting.
    """

    __tablename__ = "rebate_waitlist"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("rebate_budgets.id"), nullable=False)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False)
    amount_cents: Mapped[int] = mapped_column(nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(nullable=False)
    state: Mapped[str] = mapped_column(String(8), nullable=False, default="waiting")
    joined_at: Mapped[datetime] = mapped_column(nullable=False)
    left_at: Mapped[datetime | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(_in("state", WAITLIST_STATES), name="state"),
        CheckConstraint("(state = 'waiting') = (left_at IS NULL)", name="left_at"),
        Index("ix_rebate_waitlist_line", "budget_id", "state", "submitted_at", "id"),
        # An application waits in at most one line at a time.
        Index("uq_rebate_waitlist_waiting", "application_id", unique=True,
              sqlite_where=text("state = 'waiting'"), postgresql_where=text("state = 'waiting'")),
    )


# --- payments ----------------------------------------------------------------------------------

PAYMENT_METHODS = ("bill_credit", "check")
PAYMENT_STATUSES = ("pending", "sent", "paid", "refused", "needs_w9")


class RebatePaymentBatch(Base):
    """One file of check payments for accounts payable; its layout is kept so it renders to the same bytes."""

    __tablename__ = "rebate_payment_batches"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    created_by_label: Mapped[str] = mapped_column(String(254), nullable=False)
    layout: Mapped[list] = mapped_column(JSON, nullable=False)
    payment_count: Mapped[int] = mapped_column(nullable=False)
    total_cents: Mapped[int] = mapped_column(nullable=False)
    csv_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    acked_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        CheckConstraint("payment_count > 0", name="payment_count"),
        CheckConstraint("total_cents > 0", name="total_cents"),
    )


class RebatePayment(Base):
    """How an approved rebate is paid: a bill credit through the ledger, or a check through a batch.

    At most one payment of an application is live (not refused); a refused one is followed by a
    new row (`payments.reissue`), so what was sent and refused stays as it was.

    `batch_id` is a column of the payment itself, so a payment is in at most one batch and no check
    is ever written twice.
    """

    __tablename__ = "rebate_payments"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False)
    program_id: Mapped[int] = mapped_column(ForeignKey("rebate_programs.id"), nullable=False)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False, index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    method: Mapped[str] = mapped_column(String(12), nullable=False)
    amount_cents: Mapped[int] = mapped_column(nullable=False)
    tax_year: Mapped[int] = mapped_column(nullable=False)
    reportable: Mapped[bool] = mapped_column(Boolean, nullable=False)
    payee_name: Mapped[str | None] = mapped_column(String(200))
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(2))
    zip: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(8), nullable=False, default="pending")
    reference: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"), unique=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("rebate_payment_batches.id"), index=True)
    batch_line: Mapped[int | None] = mapped_column()
    paid_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)

    program: Mapped[RebateProgram] = relationship()

    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(_in("method", PAYMENT_METHODS), name="method"),
        CheckConstraint(_in("status", PAYMENT_STATUSES), name="status"),
        CheckConstraint("method = 'check' OR batch_id IS NULL", name="batch_checks_only"),
        CheckConstraint("method = 'bill_credit' OR ledger_entry_id IS NULL", name="ledger_credits_only"),
        CheckConstraint("method = 'bill_credit' OR (payee_name IS NOT NULL AND address_line1 IS NOT NULL "
                        "AND city IS NOT NULL AND state IS NOT NULL AND zip IS NOT NULL)", name="check_address"),
        CheckConstraint("(batch_id IS NULL) = (batch_line IS NULL)", name="batch_line"),
        CheckConstraint("status <> 'paid' OR paid_on IS NOT NULL", name="paid_on"),
        UniqueConstraint("batch_id", "batch_line"),
        Index("ix_rebate_payments_customer_year", "customer_id", "tax_year"),
        # One live payment per application; a refused one may be followed by its reissue.
        Index("uq_rebate_payments_live_application", "application_id", unique=True,
              sqlite_where=text("status <> 'refused'"), postgresql_where=text("status <> 'refused'")),
    )


class RebateW9(Base):
    """A customer's W-9 on file: the taxpayer ID encrypted (core.crypto), only its last four shown."""

    __tablename__ = "rebate_w9s"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, unique=True)
    tin_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    tin_last4: Mapped[str] = mapped_column(String(4), nullable=False)
    legal_name: Mapped[str] = mapped_column(String(200), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_by_label: Mapped[str] = mapped_column(String(254), nullable=False)

    __table_args__ = (CheckConstraint("length(tin_last4) = 4", name="tin_last4"),)
