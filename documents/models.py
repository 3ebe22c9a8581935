"""Uploaded income documents: where the encrypted file is, what it is, and what the parser read."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base, BigIntPK

KINDS = ("pdf", "jpeg", "png", "heic")
STATUSES = ("stored", "parsing", "parsed", "needs_review", "rejected")


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    uploaded_at: Mapped[datetime] = mapped_column(nullable=False)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    original_filename: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(5), nullable=False)
    size_bytes: Mapped[int] = mapped_column(nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    storage_name: Mapped[str | None] = mapped_column(String(64), unique=True)
    purged_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="stored")
    parsed_at: Mapped[datetime | None] = mapped_column()
    parse_result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Reads started so far (a killed worker still counts), and when the parse was last queued or
    # started: the reconciliation re-queues a document whose parse has not moved for a few minutes.
    parse_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    parse_updated_at: Mapped[datetime | None] = mapped_column()
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    seen_in_person: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # A CSR's corrections of parsed figures, each beside the original: {field: {amount_cents,
    # original_cents, reason, by, at}}. The parse result itself is never changed.
    corrections: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in KINDS)})", name="kind"),
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in STATUSES)})", name="status"),
        CheckConstraint("size_bytes > 0", name="size"),
        CheckConstraint("parse_attempts >= 0", name="parse_attempts"),
        CheckConstraint("(storage_name IS NULL) = (purged_at IS NOT NULL)", name="stored_or_purged"),
        Index("ix_documents_status", "status", "uploaded_at"),
    )
