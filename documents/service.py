"""Uploading, reading and parsing income documents; re-encrypting them under a new key.

Each function takes the caller's session and flushes; the request, command or job commits once.
Every read of a document's file is an audit record; so is every upload and every parse.

Parsing never gets lost. A parse is two jobs: `parse_document` claims the document (status
`parsing`, one more attempt) and commits that, then `read_document` reads the file in the isolated
pool and keeps the result. A reader process that dies mid-file (an out-of-memory kill) is retried
at once; a worker lost with its job leaves the claim behind, and `reconcile` (run by the workers
every minute, or `flask documents reconcile`) re-queues every document whose parse has not moved for
`PARSE_RETRY_AFTER_MINUTES`. After `PARSE_ATTEMPTS` reads the document waits for a person
(`needs_review`) with the reason. Claims are conditional UPDATEs, so duplicate jobs and several
workers reconciling at once are harmless.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core import audit, clock, jobs, uploads
from core.errors import Invalid, NotFound
from documents import filetypes, storage
from documents.models import Document

MIME = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png", "heic": "image/heic"}
PARSE_ATTEMPTS = 3            # reads of one file before a person reads it instead
PARSE_RETRY_AFTER_MINUTES = 5  # a parse that has not moved for this long is re-queued
RECONCILE_EVERY_SECONDS = 60
UNREAD = ("stored", "parsing")


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
    if len(data) > uploads.file_limit():  # MAX_UPLOAD_MB, per file; the request may be a little larger
        message = uploads.too_large_message(len(data))
        raise Invalid(message, fields={"file": [message]})
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
        if earlier.status == "stored" or (earlier.status == "parsing" and _stale(earlier)):
            queue_parse(session, earlier, reason="uploaded again")  # the customer's retry is not a no-op
        return Upload(earlier, True)
    stored = storage.save(data)
    document = Document(uploaded_at=clock.now(), uploaded_by_id=uploaded_by.id, owner_id=owner.id,
                        original_filename=_clean_filename(filename), kind=sniffed.kind, size_bytes=stored.size_bytes,
                        sha256=stored.sha256, storage_name=stored.storage_name, status="stored",
                        parse_attempts=0, parse_updated_at=clock.now())
    session.add(document)
    session.flush()
    audit.record(session, "document.uploaded", obj=document,
                 details={"kind": document.kind, "size_bytes": document.size_bytes, "sha256": document.sha256})
    jobs.enqueue(parse_document, document.id, session=session, queue=jobs.DOCUMENTS_QUEUE)
    return Upload(document, False)


def _config(name: str, default):
    return current_app.config.get(name) or default


def _retry_after() -> timedelta:
    return timedelta(minutes=_config("PARSE_RETRY_AFTER_MINUTES", PARSE_RETRY_AFTER_MINUTES))


def _stale(document: Document) -> bool:
    moved = document.parse_updated_at or document.uploaded_at
    return moved < clock.now() - _retry_after()


def queue_parse(session: Session, document: Document, *, reason: str) -> None:
    """(Re-)queue the parse of an unread document once the caller commits."""
    was = document.status
    document.status = "stored"
    document.parse_updated_at = clock.now()
    session.flush()
    audit.record(session, "document.parse_queued", obj=document, reason=reason,
                 details={"was": was, "attempts": document.parse_attempts})
    jobs.enqueue(parse_document, document.id, session=session, queue=jobs.DOCUMENTS_QUEUE)


def reconcile(session: Session, *, limit: int = 500) -> int:
    """Re-queue documents left unread (queued or claimed) with no progress past the retry delay.

    Idempotent, and safe with several workers: each document is taken by a conditional UPDATE, so
    only one reconciler re-queues it, and a document that moved meanwhile is left alone.
    """
    now = clock.now()
    cutoff = now - _retry_after()
    moved = func.coalesce(Document.parse_updated_at, Document.uploaded_at)
    candidates = session.execute(
        select(Document.id, Document.status, Document.parse_attempts)
        .where(Document.status.in_(UNREAD), Document.storage_name.is_not(None), moved < cutoff)
        .order_by(Document.id).limit(limit)).all()
    count = 0
    for document_id, status, attempts in candidates:
        taken = session.execute(
            update(Document).where(Document.id == document_id, Document.status == status, moved < cutoff)
            .values(status="stored", parse_updated_at=now).execution_options(synchronize_session=False)).rowcount
        if not taken:
            continue
        audit.record(session, "document.parse_queued", object_type="document", object_id=str(document_id),
                     reason="reconciliation: not read after %d minutes" % (_retry_after() // timedelta(minutes=1)),
                     details={"was": status, "attempts": attempts})
        jobs.enqueue(parse_document, document_id, session=session, queue=jobs.DOCUMENTS_QUEUE)
        count += 1
    session.expire_all()
    return count


def reconcile_job() -> int:
    """The periodic job the workers enqueue (see `init_parsing`)."""
    from core.audit import Actor, acting_as
    from core.database import db

    acting_as(Actor(label="job: document reconciliation"))
    return reconcile(db.session())


def parser_pool():
    """This process's isolated parser pool, with the configured limits."""
    from documents import isolation

    config = current_app.config
    return isolation.pool(config.get("PARSE_WORKERS"), time_limit=config["PARSE_TIME_LIMIT"],
                          memory_limit=config["PARSE_MEMORY_MB"] * 1024 * 1024)


def warm_parser_pool(app) -> None:
    """At worker start: the pool's processes start once and serve every parse job of the worker."""
    from documents import isolation

    with app.app_context():
        config = app.config
        isolation.pool(config.get("PARSE_WORKERS") or 1, time_limit=config["PARSE_TIME_LIMIT"],
                       memory_limit=config["PARSE_MEMORY_MB"] * 1024 * 1024).warm()


def init_parsing(app) -> None:
    """Workers re-queue unread documents every minute and keep the parser pool warm."""
    jobs.every(app, RECONCILE_EVERY_SECONDS, reconcile_job, queue=jobs.DOCUMENTS_QUEUE)
    jobs.on_worker_start(app, warm_parser_pool)


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


def viewed_text(session: Session, user, documents: list[Document], reason: str | None = None) -> None:
    """Staff saw the extracted text and figures (document page, application panel): an audited view.

    One record per document, written in one statement, so a panel of many documents costs one INSERT.
    """
    audit.record_many(session, "document.viewed", Document.__tablename__, [
        (document.id, reason, {"owner_id": document.owner_id, "by_staff": bool(user.is_staff),
                               "part": "extracted text"}) for document in documents])


def parse_document(document_id: int) -> str | None:
    """The background job, first half: claim the document for one more read and commit that claim.

    Nothing happens when the document is no longer waiting (read already, or claimed by another
    job); after `PARSE_ATTEMPTS` reads it goes to a person instead.
    """
    from core.audit import Actor, acting_as
    from core.database import db

    acting_as(Actor(label="job: document parse"))
    session = db.session()
    claimed = session.execute(
        update(Document).where(Document.id == document_id, Document.status == "stored",
                               Document.storage_name.is_not(None))
        .values(status="parsing", parse_attempts=Document.parse_attempts + 1, parse_updated_at=clock.now())
        .execution_options(synchronize_session=False)).rowcount
    if not claimed:
        return None
    document = session.get(Document, document_id, populate_existing=True)
    limit = _config("PARSE_ATTEMPTS", PARSE_ATTEMPTS)
    if document.parse_attempts > limit:
        _keep(session, document, _interrupted(limit))
        return document.status
    audit.record(session, "document.parse_started", obj=document, details={"attempt": document.parse_attempts})
    jobs.enqueue(read_document, document.id, document.parse_attempts, session=session, queue=jobs.DOCUMENTS_QUEUE)
    return "parsing"


def _interrupted(attempts: int, last: dict | None = None) -> dict:
    from documents.parser import result

    problems = [{"code": "parse_interrupted",
                 "message": f"Reading the file stopped before it finished {attempts} times. A person will read it."}]
    return result("needs_review", problems=problems + list((last or {}).get("problems", [])))


def read_document(document_id: int, attempt: int) -> str | None:
    """The background job, second half: read the file in an isolated worker and keep what it found."""
    from core.audit import Actor, acting_as
    from core.database import db

    acting_as(Actor(label="job: document parse"))
    session = db.session()
    document = session.get(Document, document_id)
    if document is None or document.storage_name is None or (document.status, document.parse_attempts) != (
            "parsing", attempt):
        return None  # a stale duplicate: another attempt owns the document now
    try:
        data = storage.load(document.storage_name, document.sha256)
    except (storage.StoredFileMissing, storage.StoredFileCorrupt) as exc:
        answer = {"status": "needs_review", "document_type": "unknown", "amounts_cents": {}, "evidence": {},
                  "problems": [{"code": "storage", "message": f"The stored file cannot be read ({exc.__class__.__name__})."}]}
    else:
        answer = parser_pool().parse(data, document.original_filename, current_app.config["MAX_UPLOAD_PAGES"])
    session.refresh(document, with_for_update=True)
    if (document.status, document.parse_attempts) != ("parsing", attempt):
        return None
    if [p["code"] for p in answer.get("problems", [])] == ["parser_crash"]:
        # The reader process died (killed from outside, as an out-of-memory kill does): read again.
        limit = _config("PARSE_ATTEMPTS", PARSE_ATTEMPTS)
        if attempt < limit:
            queue_parse(session, document, reason=answer["problems"][0]["message"])
            return "stored"
        answer = _interrupted(attempt, answer)
    _keep(session, document, answer)
    return answer["status"]


def _keep(session: Session, document: Document, answer: dict) -> None:
    document.status = answer["status"]
    document.parse_result = answer
    document.parsed_at = clock.now()
    document.parse_updated_at = document.parsed_at
    audit.record(session, "document.parsed", obj=document,
                 details={"status": answer["status"], "document_type": answer.get("document_type"),
                          "attempts": document.parse_attempts,
                          "problems": [p["code"] for p in answer.get("problems", [])]})
    session.flush()
    from core.events import document_parsed

    document_parsed.send(current_app._get_current_object(), session=session, document=document)


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
