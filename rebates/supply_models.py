"""Free water-saving supplies: items with stock, the stock ledger, orders and shipping batches.

The on-hand figure lives on the item (so taking stock is one conditional UPDATE that can never go
below zero); every change to it is also a row of the append-only ledger with who and why, and
`stock_after` lets anyone check the two agree.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.database import Base, BigIntPK

WHO_MAY_ORDER = ("anyone", "enrolled")
ORDER_STATUSES = ("open", "shipped", "handed_over", "cancelled")
CHANNELS = ("online", "phone", "counter")
STOCK_REASONS = ("received", "counted", "ordered", "cancelled")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class SupplyItem(Base):
    __tablename__ = "supply_items"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    names: Mapped[dict] = mapped_column(JSON, nullable=False)                # {"en": ..., "es": ...}
    unit_cost_cents: Mapped[int] = mapped_column(nullable=False)
    stock: Mapped[int] = mapped_column(nullable=False, default=0)
    limit_quantity: Mapped[int] = mapped_column(nullable=False)               # per premise per window
    window_months: Mapped[int] = mapped_column(nullable=False)
    who_may_order: Mapped[str] = mapped_column(String(10), nullable=False, default="anyone")
    programs: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # for "enrolled"
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    example: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)

    __table_args__ = (
        CheckConstraint("unit_cost_cents >= 0", name="unit_cost"),
        CheckConstraint("stock >= 0", name="stock"),
        CheckConstraint("limit_quantity >= 1", name="limit_quantity"),
        CheckConstraint("window_months >= 1", name="window_months"),
        CheckConstraint(_in("who_may_order", WHO_MAY_ORDER), name="who_may_order"),
    )

    def name(self, language: str = "en") -> str:
        return self.names.get(language) or self.names["en"]


class SupplyStockEntry(Base):
    """One change of an item's stock (append-only: the migration refuses UPDATE and DELETE)."""

    __tablename__ = "supply_stock_entries"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("supply_items.id"), nullable=False, index=True)
    change: Mapped[int] = mapped_column(nullable=False)
    stock_after: Mapped[int] = mapped_column(nullable=False)
    reason: Mapped[str] = mapped_column(String(10), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("supply_orders.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    actor_id: Mapped[int | None] = mapped_column()
    actor_label: Mapped[str] = mapped_column(String(254), nullable=False)

    __table_args__ = (
        CheckConstraint("stock_after >= 0", name="stock_after"),
        CheckConstraint(_in("reason", STOCK_REASONS), name="reason"),
    )


class SupplyBatch(Base):
    """Orders packed together for shipping; like a print run, each order is in at most one."""

    __tablename__ = "supply_batches"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    created_by_label: Mapped[str] = mapped_column(String(254), nullable=False)
    orders: Mapped[int] = mapped_column(nullable=False, default=0)
    shipped_at: Mapped[datetime | None] = mapped_column()
    shipped_by_label: Mapped[str | None] = mapped_column(String(254))

    __table_args__ = (CheckConstraint("orders >= 0", name="orders"),)


class SupplyOrder(Base):
    __tablename__ = "supply_orders"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False, index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    premise: Mapped[str] = mapped_column(String(400), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="open")
    channel: Mapped[str] = mapped_column(String(8), nullable=False)
    language: Mapped[str] = mapped_column(String(5), nullable=False, default="en")
    ordered_on: Mapped[date] = mapped_column(Date, nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    created_by_label: Mapped[str] = mapped_column(String(254), nullable=False)
    # One column, so an order can be in one batch at most: the database says so, not the code.
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("supply_batches.id"), index=True)
    closed_at: Mapped[datetime | None] = mapped_column()
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    lines: Mapped[list["SupplyOrderLine"]] = relationship(back_populates="order", order_by="SupplyOrderLine.id",
                                                          cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint(_in("status", ORDER_STATUSES), name="status"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint("status <> 'shipped' OR batch_id IS NOT NULL", name="shipped_in_batch"),
        CheckConstraint("channel <> 'counter' OR batch_id IS NULL", name="counter_not_shipped"),
        Index("ix_supply_orders_premise", "premise"),
    )

    @property
    def number(self) -> str:
        return f"S{self.id:07d}"


class SupplyOrderLine(Base):
    __tablename__ = "supply_order_lines"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("supply_orders.id"), nullable=False, index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("supply_items.id"), nullable=False, index=True)
    quantity: Mapped[int] = mapped_column(nullable=False)
    unit_cost_cents: Mapped[int] = mapped_column(nullable=False)

    order: Mapped[SupplyOrder] = relationship(back_populates="lines")
    item: Mapped[SupplyItem] = relationship()

    __table_args__ = (
        UniqueConstraint("order_id", "item_id"),
        CheckConstraint("quantity >= 1", name="quantity"),
        CheckConstraint("unit_cost_cents >= 0", name="unit_cost"),
    )
