"""The page shell: home, language choice, and the staff pages for the outbox and the audit log."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from sqlalchemy import func, select

from core import audit
from core.access import allow, public, staff
from core.audit import AuditRecord
from core.database import db
from core.inputs import whole_number
from core.outbox import OutboxMessage, body_for_staff, links_withheld
from core.web import LANGUAGE_COOKIE

bp = Blueprint("core", __name__)

PAGE_SIZE = 50


@bp.get("/")
@public
def home():
    """The public home page; a signed-in customer also sees where they stand and the next step
    (the applications package provides it, so core imports nothing above it)."""
    standing = current_app.extensions.get("assist.customer_standing")
    return render_template("home.html", standing=standing() if standing is not None else None)


# --- About the service: linked from every page's footer ------------------------------------------

def _contact() -> dict:
    """The utility's contact details from its settings (UTILITY_NAME, UTILITY_PHONE, UTILITY_HOURS and
    UTILITY_HOURS_ES, UTILITY_ADDRESS with lines split by `|` or new lines, UTILITY_WEB); unset ones are left out."""
    config = current_app.config
    spanish = str(get_locale() or "en") == "es"
    address = (config.get("UTILITY_ADDRESS") or "").replace("|", "\n")
    return {"name": config.get("UTILITY_NAME") or None, "phone": config.get("UTILITY_PHONE") or None,
            "hours": (spanish and config.get("UTILITY_HOURS_ES")) or config.get("UTILITY_HOURS") or None,
            "address": [line.strip() for line in address.splitlines() if line.strip()],
            "web": config.get("UTILITY_WEB") or None}


@bp.get("/privacy")
@public
def privacy():
    return render_template("about/privacy.html", contact=_contact(),
                           retention_days=int(current_app.config.get("DOCUMENT_RETENTION_DAYS", 365)))


@bp.get("/accessibility")
@public
def accessibility():
    return render_template("about/accessibility.html", contact=_contact())


@bp.get("/contact")
@public
def contact():
    return render_template("about/contact.html", contact=_contact())


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: never redirect a person to another host after a form."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@bp.post("/language")
@public
def set_language():
    language = request.form.get("language", "en")
    if language not in current_app.config["LANGUAGES"]:
        language = "en"
    response = make_response(redirect(safe_next(request.form.get("next"), url_for("core.home"))))
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, httponly=True,
                        samesite="Lax", secure=current_app.config.get("PRODUCTION", False))
    saver = current_app.extensions.get("assist.save_language")
    if saver is not None:
        saver(language)
    return response


MAX_PAGE = 100_000


def page_number() -> int:
    """The `?page=` of a paged list: 1 when missing; a page that is not a number from 1 to 100,000
    is refused (422, naming `page`) rather than overflowing the query's OFFSET."""
    return whole_number("page", request.args.get("page"), minimum=1, maximum=MAX_PAGE, default=1)


@bp.get("/staff/outbox")
@staff
def outbox():
    """Outgoing mail as staff see it; with no mail server this is where messages are read."""
    page = page_number()
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    to = request.args.get("to", "").strip()
    if to:
        query = query.where(OutboxMessage.to_address == to.lower())
    messages = db.session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return render_template("outbox.html", messages=messages[:PAGE_SIZE], page=page,
                           has_next=len(messages) > PAGE_SIZE, to=to,
                           mail_server=current_app.config.get("MAIL_SERVER"))


@bp.get("/staff/outbox/<int:message_id>")
@staff
def outbox_message(message_id: int):
    """One message's text; reading it is an audited view, and secret links never reach the page."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        from werkzeug.exceptions import NotFound

        raise NotFound()
    withheld = links_withheld(message)
    audit.record(db.session, "outbox.message_viewed", obj=message,
                 details={"kind": message.kind, "links_withheld": withheld})
    return render_template("outbox_message.html", message=message, withheld=withheld,
                           body=body_for_staff(message, _("[link withheld]")))


@bp.get("/staff/audit")
@allow("manager", "admin")
def audit_log():
    """Managers read the audit log; nobody can edit it."""
    page = page_number()
    query = select(AuditRecord).order_by(AuditRecord.id.desc())
    filters = {key: request.args.get(key, "").strip() for key in ("action", "object_type", "object_id", "actor")}
    if filters["action"]:
        query = query.where(AuditRecord.action.startswith(filters["action"]))
    if filters["object_type"]:
        query = query.where(AuditRecord.object_type == filters["object_type"])
    if filters["object_id"]:
        query = query.where(AuditRecord.object_id == filters["object_id"])
    if filters["actor"]:
        query = query.where(func.lower(AuditRecord.actor_label) == filters["actor"].lower())
    records = db.session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return render_template("audit.html", records=records[:PAGE_SIZE], page=page,
                           has_next=len(records) > PAGE_SIZE, filters=filters)
