"""The audit log: who did what, when and why, for every state change and sensitive view.

Rows are append-only. The migration installs database triggers that refuse UPDATE and DELETE,
so not even a bug or a hand-typed SQL statement can rewrite history.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from flask import current_app, g, has_app_context, has_request_context, request
from sqlalchemy import JSON, Index, String, Text, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import clock
from core.database import Base, BigIntPK


@dataclass(frozen=True)
class Actor:
    """Who acted: a signed-in person, or a named system process."""

    label: str
    user_id: int | None = None
    role: str | None = None


SYSTEM = Actor(label="system")


class AuditRecord(Base):
    __tablename__ = "audit_records"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(nullable=False)
    actor_id: Mapped[int | None] = mapped_column(nullable=True)
    actor_label: Mapped[str] = mapped_column(String(254), nullable=False)
    actor_role: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(80), nullable=False, index=True)
    object_type: Mapped[str | None] = mapped_column(String(60))
    object_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    request_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_records_object", "object_type", "object_id"),
        Index("ix_audit_records_occurred_at", "occurred_at"),
        Index("ix_audit_records_actor_id", "actor_id", postgresql_where=text("actor_id IS NOT NULL"),
              sqlite_where=text("actor_id IS NOT NULL")),  # what people did (migration 0015)
    )


ActorLoader = Callable[[], Actor | None]


def set_actor_loader(app, loader: ActorLoader) -> None:
    """The sign-in package tells the audit log who is acting in a request."""
    app.extensions["assist.audit_actor"] = loader


def current_actor() -> Actor:
    if has_app_context():
        override = g.get("assist_actor")
        if override is not None:
            return override
        loader = current_app.extensions.get("assist.audit_actor")
        if loader is not None:
            actor = loader()
            if actor is not None:
                return actor
    return SYSTEM


def acting_as(actor: Actor) -> None:
    """CLI commands and jobs name themselves, e.g. Actor('cli: accounts import')."""
    g.assist_actor = actor


def record(
    session: Session,
    action: str,
    *,
    obj: Any = None,
    object_type: str | None = None,
    object_id: Any = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    actor: Actor | None = None,
) -> AuditRecord:
    """Add an audit record to the caller's transaction; it commits or rolls back with the change."""
    if obj is not None:
        object_type = object_type or getattr(obj, "__audit_type__", None) or obj.__class__.__tablename__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    who = actor or current_actor()
    entry = AuditRecord(
        occurred_at=clock.now(),
        actor_id=who.user_id,
        actor_label=who.label,
        actor_role=who.role,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        reason=reason,
        details=details or {},
        ip_address=request.remote_addr if has_request_context() else None,
        request_id=g.get("request_id") if has_app_context() else None,
    )
    session.add(entry)
    return entry


def record_many(session: Session, action: str, object_type: str,
                items: list[tuple[Any, str | None, dict[str, Any] | None]], actor: Actor | None = None) -> int:
    """One audit record per (object id, reason, details), written in one statement: batch jobs
    change thousands of rows at a time and each change still gets its own record."""
    if not items:
        return 0
    from core.bulk import insert_rows

    who = actor or current_actor()
    at = clock.now()
    request_id = g.get("request_id") if has_app_context() else None
    insert_rows(session, AuditRecord, [
        {"occurred_at": at, "actor_id": who.user_id, "actor_label": who.label, "actor_role": who.role,
         "action": action, "object_type": object_type, "object_id": str(object_id), "reason": reason,
         "details": details or {}, "ip_address": None, "request_id": request_id}
        for object_id, reason, details in items])
    return len(items)


@dataclass(frozen=True)
class OfNewRows:
    """The audit records of a bulk insert, one per inserted row, written by the database from the rows.

    A month's credits are a million rows; building a million records in Python cost more than the
    credits themselves. `details` maps each key of the record's details to a column of the row.
    """

    action: str
    object_type: str
    reason: str
    details: dict[str, str]

    def insert_from(self, session: Session, rows, actor: Actor | None = None):
        """The INSERT of these records from `rows` (so `core.bulk` writes them without importing this module)."""
        return insert_of_new_rows(session, self, rows, actor)


def insert_of_new_rows(session: Session, spec: OfNewRows, rows, actor: Actor | None = None):
    """INSERT INTO audit_records ... SELECT from `rows` (a subquery or CTE of the inserted rows, with `id`)."""
    from sqlalchemy import cast, func, insert, literal, select

    who = actor or current_actor()
    table = AuditRecord.__table__
    build = func.json_build_object if session.get_bind().dialect.name == "postgresql" else func.json_object
    pairs = [part for key, column in spec.details.items() for part in (literal(key), rows.c[column])]
    request_id = g.get("request_id") if has_app_context() else None
    source = select(literal(clock.now(), table.c.occurred_at.type), literal(who.user_id, table.c.actor_id.type),
                    literal(who.label, String), literal(who.role, String), literal(spec.action, String),
                    literal(spec.object_type, String), cast(rows.c.id, String), rows.c[spec.reason],
                    build(*pairs).label("details"), literal(None, String), literal(request_id, String))
    return insert(table).from_select(["occurred_at", "actor_id", "actor_label", "actor_role", "action", "object_type",
                                      "object_id", "reason", "details", "ip_address", "request_id"], source)
