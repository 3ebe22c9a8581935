"""Uploading, reading and parsing income documents; re-encrypting them under a new key.

Each function takes the caller's session and flushes; the request, command or job commits once.
Every read of a document's file is an audit record; so is every upload and every parse.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, clock, jobs
from core.errors import Invalid, NotFound
from documents import filetypes, storage
from documents.models import Document

MIME = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png", "heic": "image/heic"}


@dataclass
class Upload:
    document: Document
    duplicate: bool


def _clean_filename(name: str | None) -> str:
    name = (name or "upload").replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*')
    return name[:200] or "upload"


def upload(session: Session, *, owner, uploaded_by, data: bytes, filename: str | None) -> Upload:
    """Check and store one file. A refused file stores nothing and says why, for the customer.

    The same file (same SHA-256) uploaded again by the same customer is recognized and not stored
    twice.
    """
    if not data:
        raise Invalid(_("The file is empty."), fields={"file": [_("The file is empty.")]})
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit and len(data) > limit:
        raise Invalid(_("The file is larger than %(mb)s MB.", mb=limit // (1024 * 1024)))
    sniffed = filetypes.sniff(data, filename)
    if sniffed.kind is None:
        message = {"unsupported_type": _("This file is not a PDF or a JPEG, PNG or HEIC photo. Download the "
                                         "transcript from the IRS as a PDF, or take a photo of the paper."),
                   "extension_mismatch": _("The file's name does not match what it contains. Send the original "
                                           "file.")}[sniffed.problem]
        raise Invalid(message, fields={"file": [message]})
    digest = storage.sha256_of(data)
    earlier = session.scalar(select(Document).where(Document.owner_id == owner.id, Document.sha256 == digest,
                                                    Document.purged_at.is_(None)).limit(1))
    if earlier is not None:
        audit.record(session, "document.upload_repeated", obj=earlier, details={"filename": _clean_filename(filename)})
        return Upload(earlier, True)
    stored = storage.save(data)
    document = Document(uploaded_at=clock.now(), uploaded_by_id=uploaded_by.id, owner_id=owner.id,
                        original_filename=_clean_filename(filename), kind=sniffed.kind, size_bytes=stored.size_bytes,
                        sha256=stored.sha256, storage_name=stored.storage_name, status="stored")
    session.add(document)
    session.flush()
    audit.record(session, "document.uploaded", obj=document,
                 details={"kind": document.kind, "size_bytes": document.size_bytes, "sha256": document.sha256})
    jobs.enqueue(parse_document, document.id, session=session, queue="documents")
    return Upload(document, False)


def get_for(session: Session, user, document_id: int) -> Document:
    """The document as this person may see it: its owner and staff; anyone else gets 'not found'."""
    document = session.get(Document, document_id)
    if document is None or (not user.is_staff and document.owner_id != user.id):
        raise NotFound(_("No such document."))
    return document


def documents_of(session: Session, owner_id: int) -> list[Document]:
    return list(session.scalars(select(Document).where(Document.owner_id == owner_id)
                                .order_by(Document.uploaded_at.desc(), Document.id.desc())))


def read(session: Session, user, document: Document, reason: str | None = None) -> bytes:
    """The decrypted file; the read is an audit record in the caller's transaction."""
    if document.storage_name is None:
        raise NotFound(_("This document's file has been deleted."))
    data = storage.load(document.storage_name, document.sha256)
    audit.record(session, "document.viewed", obj=document, reason=reason,
                 details={"owner_id": document.owner_id, "by_staff": bool(user.is_staff)})
    return data


def parse_document(document_id: int) -> str | None:
    """The background job: read the file in an isolated worker and keep what it found."""
    from core.audit import Actor, acting_as
    from core.database import db
    from documents import isolation

    acting_as(Actor(label="job: document parse"))
    session = db.session()
    document = session.get(Document, document_id)
    if document is None or document.storage_name is None:
        return None
    config = current_app.config
    pool = isolation.pool(config.get("PARSE_WORKERS"), time_limit=config["PARSE_TIME_LIMIT"],
                          memory_limit=config["PARSE_MEMORY_MB"] * 1024 * 1024)
    try:
        data = storage.load(document.storage_name, document.sha256)
    except (storage.StoredFileMissing, storage.StoredFileCorrupt) as exc:
        answer = {"status": "needs_review", "document_type": "unknown", "amounts_cents": {}, "evidence": {},
                  "problems": [{"code": "storage", "message": f"The stored file cannot be read ({exc.__class__.__name__})."}]}
    else:
        answer = pool.parse(data, document.original_filename, config["MAX_UPLOAD_PAGES"])
    document.status = answer["status"]
    document.parse_result = answer
    document.parsed_at = clock.now()
    audit.record(session, "document.parsed", obj=document,
                 details={"status": answer["status"], "document_type": answer.get("document_type"),
                          "problems": [p["code"] for p in answer.get("problems", [])]})
    session.flush()
    from core.events import document_parsed

    document_parsed.send(current_app._get_current_object(), session=session, document=document)
    return answer["status"]


@dataclass
class Rotation:
    rewritten: int = 0
    current: int = 0
    missing: int = 0


def rotate_keys(session: Session) -> Rotation:
    """Re-encrypt every stored file under the first DOCUMENT_KEY; files stay readable throughout.

    Run after putting the new key first in DOCUMENT_KEY (new,old); then the old key can go.
    """
    report = Rotation()
    names = session.scalars(select(Document.storage_name).where(Document.storage_name.is_not(None))
                            .order_by(Document.id))
    for name in names:
        try:
            if storage.rotate(name):
                report.rewritten += 1
            else:
                report.current += 1
        except storage.StoredFileMissing:
            report.missing += 1
    audit.record(session, "documents.keys_rotated", object_type="documents",
                 details={"rewritten": report.rewritten, "current": report.current, "missing": report.missing})
    return report
