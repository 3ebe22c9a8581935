"""Accounts, bills and the append-only credit ledger.

The CIS owns accounts and bills; Assist mirrors what it needs and sends back credits. The ledger
is never edited: a mistake is fixed by a reversal entry, and the migration installs triggers
that refuse UPDATE and DELETE. What changes about an entry afterwards (its place in an export
batch, what the CIS said about it) lives in the export tables beside it.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.database import Base, BigIntPK

SERVICES = ("electric", "water", "wastewater", "refuse")
ACCOUNT_STATUSES = ("active", "closed")
METER_TYPES = ("individual", "master")
LEDGER_KINDS = ("discount", "rebate", "adjustment", "reversal")
CIS_STATES = ("pending", "accepted", "rejected")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ImportRun(Base):
    """One run of `accounts import` or `bills import`: what file, who, and what it changed."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    filename: Mapped[str] = mapped_column(String(300), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    started_at: Mapped[datetime] = mapped_column(nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column()
    actor_label: Mapped[str] = mapped_column(String(254), nullable=False)
    rows: Mapped[int] = mapped_column(nullable=False, default=0)
    created: Mapped[int] = mapped_column(nullable=False, default=0)
    updated: Mapped[int] = mapped_column(nullable=False, default=0)
    unchanged: Mapped[int] = mapped_column(nullable=False, default=0)

    __table_args__ = (CheckConstraint(_in("kind", ("accounts", "bills")), name="kind"),)


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    customer_name: Mapped[str] = mapped_column(String(200), nullable=False)
    service_address: Mapped[str] = mapped_column(String(300), nullable=False)
    city: Mapped[str] = mapped_column(String(100), nullable=False)
    zip: Mapped[str] = mapped_column(String(10), nullable=False)
    services: Mapped[str] = mapped_column(String(60), nullable=False)  # 'electric;water', sorted
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    meter_type: Mapped[str] = mapped_column(String(12), nullable=False)
    last_bill_amount_cents: Mapped[int] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_by_import_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"))
    # Demo and training data: kept out of every participation report (reports/queries.py).
    test_record: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())

    __table_args__ = (
        CheckConstraint(_in("status", ACCOUNT_STATUSES), name="status"),
        CheckConstraint(_in("meter_type", METER_TYPES), name="meter_type"),
        Index("ix_accounts_zip", "zip"),
        Index("ix_accounts_customer_name", "customer_name"),
    )

    @property
    def service_list(self) -> list[str]:
        return [s for s in self.services.split(";") if s]


class AccountClosure(Base):
    """An import closed this account; enrollments on it must end (`handled_at` once they have)."""

    __tablename__ = "account_closures"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False, index=True)
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id"), nullable=False)
    closed_at: Mapped[datetime] = mapped_column(nullable=False)
    handled_at: Mapped[datetime | None] = mapped_column()


class AccountLink(Base):
    """A customer's login is linked to an account they proved they hold (or a CSR vouched)."""

    __tablename__ = "account_links"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False, index=True)
    linked_at: Mapped[datetime] = mapped_column(nullable=False)
    method: Mapped[str] = mapped_column(String(10), nullable=False)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    account: Mapped[Account] = relationship()

    __table_args__ = (
        UniqueConstraint("user_id", "account_id"),
        CheckConstraint(_in("method", ("proof", "staff")), name="method"),
    )


class Bill(Base):
    __tablename__ = "bills"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    bill_id: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    service: Mapped[str] = mapped_column(String(12), nullable=False)
    charges_cents: Mapped[int] = mapped_column(nullable=False)
    cancels_bill_id: Mapped[str | None] = mapped_column(String(40))
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id"), nullable=False)

    account: Mapped[Account] = relationship()

    __table_args__ = (
        CheckConstraint("period_end >= period_start", name="period"),
        CheckConstraint(_in("service", SERVICES), name="service"),
        Index("ix_bills_account_period", "account_id", "period_start"),
        Index("ix_bills_cancels_bill_id", "cancels_bill_id"),
    )


class LedgerEntry(Base):
    """Money put on (positive) or taken off (negative) an account. Never edited."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    amount_cents: Mapped[int] = mapped_column(nullable=False)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    source_type: Mapped[str | None] = mapped_column(String(40))
    source_id: Mapped[str | None] = mapped_column(String(64))
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    reason_code: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_label: Mapped[str] = mapped_column(String(254), nullable=False)

    account: Mapped[Account] = relationship()

    __table_args__ = (
        CheckConstraint("amount_cents <> 0", name="amount_nonzero"),
        CheckConstraint(_in("kind", LEDGER_KINDS), name="kind"),
        CheckConstraint("(kind = 'reversal') = (reverses_id IS NOT NULL)", name="reversal_points_back"),
        Index("ix_ledger_entries_account", "account_id", "id"),
        Index("ix_ledger_entries_reverses_id", "reverses_id", postgresql_where=text("reverses_id IS NOT NULL"),
              sqlite_where=text("reverses_id IS NOT NULL")),  # reversals only (migration 0015)
        Index("ix_ledger_entries_source", "source_type", "source_id"),
    )


class AdjustmentRequest(Base):
    """A CSR's manual credit or charge-back; above the approval limit it waits for a manager."""

    __tablename__ = "adjustment_requests"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False, index=True)
    amount_cents: Mapped[int] = mapped_column(nullable=False)
    reason_code: Mapped[str] = mapped_column(String(40), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    requested_at: Mapped[datetime] = mapped_column(nullable=False)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_note: Mapped[str | None] = mapped_column(Text)
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    # `adjustment`, or `reversal` of an entry a manager approved (it needs the same approval).
    kind: Mapped[str] = mapped_column(String(10), nullable=False, default="adjustment", server_default="adjustment")
    reverses_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"), index=True)

    account: Mapped[Account] = relationship()

    __table_args__ = (
        CheckConstraint("amount_cents <> 0", name="amount_nonzero"),
        CheckConstraint(_in("status", ("pending", "approved", "rejected")), name="status"),
        CheckConstraint(_in("kind", ("adjustment", "reversal")), name="kind"),
        CheckConstraint("(kind = 'reversal') = (reverses_entry_id IS NOT NULL)", name="reversal_points_back"),
        # The day's sum of what one person posted on one account without a manager.
        Index("ix_adjustment_requests_account_requester", "account_id", "requested_by_id", "requested_at"),
        Index("ix_adjustment_requests_status", "status", "requested_at"),
    )


class CreditBatch(Base):
    """One credit file for the CIS. Its layout is kept so a re-export gives the same bytes."""

    __tablename__ = "credit_batches"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    created_by_label: Mapped[str] = mapped_column(String(254), nullable=False)
    layout: Mapped[list] = mapped_column(JSON, nullable=False)
    entry_count: Mapped[int] = mapped_column(nullable=False)
    total_cents: Mapped[int] = mapped_column(nullable=False)
    csv_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    # How text cells were written (accounts.rules.CELL_RULES): 1 before control characters were replaced.
    cell_rules: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    acked_at: Mapped[datetime | None] = mapped_column()


class CreditBatchItem(Base):
    """An entry's place in a batch and what the CIS said about it."""

    __tablename__ = "credit_batch_items"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("credit_batches.id"), nullable=False)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), nullable=False, index=True)
    line_no: Mapped[int] = mapped_column(nullable=False)
    cis_state: Mapped[str] = mapped_column(String(10), nullable=False, default="pending")
    cis_reason: Mapped[str | None] = mapped_column(Text)
    acked_at: Mapped[datetime | None] = mapped_column()
    # A rejected entry waits for a CSR: send it again, or reverse it.
    resolution: Mapped[str | None] = mapped_column(String(10))
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    entry: Mapped[LedgerEntry] = relationship()

    __table_args__ = (
        UniqueConstraint("batch_id", "entry_id"),
        UniqueConstraint("batch_id", "line_no"),
        # At most one live item per entry: two exports at once cannot both send it.
        Index("uq_credit_batch_items_live_entry", "entry_id", unique=True,
              sqlite_where=text("resolution IS NULL"), postgresql_where=text("resolution IS NULL")),
        CheckConstraint(_in("cis_state", CIS_STATES), name="cis_state"),
        CheckConstraint("resolution IS NULL OR resolution IN ('resend', 'reversed')", name="resolution"),
    )
