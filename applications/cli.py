"""Commands for applications: retention of document files, closing overdue requests for information."""
from __future__ import annotations

import json
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from core import audit, clock
from core.audit import Actor, acting_as
from core.database import db
from core.unit_of_work import unit_of_work
from applications import service
from applications.models import Application, ApplicationDocument, ApplicationEvent
from documents import storage
from documents.cli import documents_cli
from documents.models import Document

applications_cli = AppGroup("applications", help="Applications of every kind.")
FINISHED = ("approved", "denied", "withdrawn", "closed")


@documents_cli.command("purge")
@click.option("--days", type=int, default=None, help="Days after the decision (default DOCUMENT_RETENTION_DAYS, 365).")
def purge(days: int | None) -> None:
    """Delete the files of documents whose applications were all decided long enough ago.

    The extracted figures, the decision and the audit log stay.
    """
    acting_as(Actor(label="cli: documents purge"))
    days = days if days is not None else int(current_app.config.get("DOCUMENT_RETENTION_DAYS", 365))
    cutoff = clock.now() - timedelta(days=days)
    with unit_of_work() as session:
        purged = _purge(session, cutoff, days)
    click.echo(json.dumps({"purged": purged, "days": days}))


def _purge(session, cutoff, days: int) -> int:
    """The files to delete, each marked purged with an audit record; the caller commits once."""
    last_change = (select(ApplicationEvent.application_id, func.max(ApplicationEvent.occurred_at).label("at"))
                   .group_by(ApplicationEvent.application_id).subquery())
    recent_or_open = (select(ApplicationDocument.document_id)
                      .join(Application, Application.id == ApplicationDocument.application_id)
                      .join(last_change, last_change.c.application_id == Application.id)
                      .where((Application.status.not_in(FINISHED)) | (last_change.c.at > cutoff)))
    candidates = session.scalars(select(Document).where(
        Document.storage_name.is_not(None),
        Document.id.in_(select(ApplicationDocument.document_id)),
        Document.id.not_in(recent_or_open)).order_by(Document.id))
    purged = 0
    for document in candidates:
        storage.delete(document.storage_name)
        document.storage_name = None
        document.purged_at = clock.now()
        audit.record(session, "document.purged", obj=document, reason=f"retention: decided over {days} days ago")
        purged += 1
    return purged


@applications_cli.command("close-overdue")
def close_overdue() -> None:
    """Close applications whose request for information is past due, with a notice (run daily)."""
    acting_as(Actor(label="cli: applications close-overdue"))
    with unit_of_work() as session:
        closed = service.close_overdue(session)
    click.echo(json.dumps({"closed": closed}))
