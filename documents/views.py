"""Document pages: customers upload and see theirs; staff read files (each read is logged)."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from core import uploads
from core.access import STAFF, allow
from core.database import db
from core.errors import AssistError
from core.extensions import limiter
from documents import service
from documents.models import Document
from documents.web import (DOCUMENT_TYPE_LABELS, FIELD_LABELS, FILING_STATUS_LABELS, STATUS_LABELS, UPLOAD_LIMIT,
                           upload_key as _upload_key)

bp = Blueprint("documents", __name__)


def _file_response(document: Document, data: bytes) -> Response:
    response = Response(data, mimetype=service.MIME[document.kind])
    response.headers["Content-Disposition"] = "attachment; filename=document-%d.%s" % (
        document.id, {"jpeg": "jpg"}.get(document.kind, document.kind))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/documents")
@allow("customer")
def mine():
    return render_template("documents/mine.html", documents=service.documents_of(db.session, current_user.id),
                           statuses=STATUS_LABELS, errors={})


@bp.post("/documents")
@limiter.limit(UPLOAD_LIMIT, key_func=_upload_key)
@allow("customer")
def upload():
    file = request.files.get("file")
    errors: dict[str, list[str]] = {}
    if file is None or not file.filename:
        errors["file"] = [_("Choose a file to upload.")]
    else:
        try:
            result = service.upload(db.session, owner=current_user, uploaded_by=current_user, data=file.read(),
                                    filename=file.filename)
        except AssistError as exc:
            errors = exc.fields or {"file": [exc.message]}
        else:
            flash(_("We already have this file; it was not stored again.") if result.duplicate
                  else _("Your file is uploaded. We will read it shortly."), "success")
            return redirect(url_for("documents.mine"))
    return render_template("documents/mine.html", documents=service.documents_of(db.session, current_user.id),
                           statuses=STATUS_LABELS, errors=errors), 422


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    """A request over the limit: the customer's documents page again, the message by the file field."""
    from core.web import render_error

    uploads.drain()
    if request.endpoint != "documents.upload" or not current_user.is_authenticated or current_user.role != "customer":
        return render_error(413, uploads.refused_request_message())
    return render_template("documents/mine.html", documents=service.documents_of(db.session, current_user.id),
                           statuses=STATUS_LABELS, errors={"file": [uploads.refused_request_message()]}), 413


@bp.get("/documents/<int:document_id>/file")
@allow("customer")
def my_file(document_id: int):
    document = service.get_for(db.session, current_user, document_id)
    data = service.read(db.session, current_user, document)
    return _file_response(document, data)


@bp.get("/staff/documents/<int:document_id>")
@allow(*STAFF)
def staff_document(document_id: int):
    """The extracted text and figures: seeing them is an audited view, like the file itself."""
    document = service.get_for(db.session, current_user, document_id)
    service.viewed_text(db.session, current_user, [document], reason=_reason() or None)
    return render_template("documents/staff_document.html", document=document, statuses=STATUS_LABELS,
                           field_labels=FIELD_LABELS, result=document.parse_result or {}, errors={},
                           type_labels=DOCUMENT_TYPE_LABELS, filing_labels=FILING_STATUS_LABELS)


def _reason() -> str:
    return " ".join((request.args.get("reason") or "").split())[:500]


@bp.get("/staff/documents/<int:document_id>/file")
@allow(*STAFF)
def staff_file(document_id: int):
    """The file, once staff say why they open it (the reason goes into the audit record)."""
    document = service.get_for(db.session, current_user, document_id)
    reason = _reason()
    if not reason:
        errors = {"reason": [_("Say why you open the file.")]} if "reason" in request.args else {}
        return render_template("documents/file_reason.html", document=document, errors=errors), (
            422 if errors else 200)
    data = service.read(db.session, current_user, document, reason=reason)
    return _file_response(document, data)


def _evidence_line(document: Document, figure: str | None) -> tuple[int | None, str | None]:
    evidence = ((document.parse_result or {}).get("evidence") or {}).get(figure or "")
    return (evidence.get("page"), evidence.get("line")) if evidence else (None, None)


@bp.get("/staff/documents/<int:document_id>/pages/<int:page>")
@allow(*STAFF)
def staff_page(document_id: int, page: int):
    """A page of the document with the line a figure came from boxed (the image itself is audited)."""
    document = service.get_for(db.session, current_user, document_id)
    figure = request.args.get("figure")
    _page, line = _evidence_line(document, figure)
    return render_template("documents/page.html", document=document, page=page, figure=figure, line=line,
                           field_labels=FIELD_LABELS)


@bp.get("/staff/documents/<int:document_id>/pages/<int:page>.png")
@allow(*STAFF)
def staff_page_image(document_id: int, page: int):
    from flask import abort

    document = service.get_for(db.session, current_user, document_id)
    if document.kind != "pdf":
        abort(404)
    _page, line = _evidence_line(document, request.args.get("figure"))
    data = service.read(db.session, current_user, document, reason=f"page {page}")
    answer = service.parser_pool().render(data, page, line)
    if "png" not in answer:
        abort(404)
    response = Response(answer["png"], mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


# What a browser can show on the page; other kinds (HEIC) are opened as a file.
INLINE_IMAGES = ("jpeg", "png")


@bp.get("/staff/documents/<int:document_id>/view")
@allow(*STAFF)
def staff_view(document_id: int):
    """A photo or scan shown on the page, not only downloaded (a PDF: its first page)."""
    document = service.get_for(db.session, current_user, document_id)
    if document.kind == "pdf":
        return redirect(url_for("documents.staff_page", document_id=document.id, page=1))
    return render_template("documents/image.html", document=document, inline=document.kind in INLINE_IMAGES,
                           reason=_reason())


@bp.get("/staff/documents/<int:document_id>/image")
@allow(*STAFF)
def staff_image(document_id: int):
    """The image itself: an audited read, like a PDF page."""
    from flask import abort

    document = service.get_for(db.session, current_user, document_id)
    if document.kind not in INLINE_IMAGES:
        abort(404)
    data = service.read(db.session, current_user, document, reason=_reason() or "viewed on the page")
    response = Response(data, mimetype=service.MIME[document.kind])
    response.headers["Content-Disposition"] = "inline; filename=document-%d.%s" % (
        document.id, {"jpeg": "jpg"}.get(document.kind, document.kind))
    response.headers["Cache-Control"] = "no-store"
    return response


def init_documents(app) -> None:
    from core.nav import register_nav

    register_nav(app, "documents.mine", _l("My documents"), ("customer",), order=15)
    app.jinja_env.globals["document_type_labels"] = DOCUMENT_TYPE_LABELS
    service.init_parsing(app)
