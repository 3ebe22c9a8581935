"""The inspector's pages: the day list (by date and ZIP, printable, fit for a phone) and the result form."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from core import clock
from core.access import INSPECTOR, STAFF, allow
from core.database import db
from core.errors import AssistError
from core.inputs import whole_number
from rebates import inspections
from rebates.inspection_models import RESULTS

bp = Blueprint("inspections", __name__)
# The office sees every inspection; an inspector only those given to them.
INSPECTING = (*STAFF, INSPECTOR)


def _mine() -> int | None:
    """The inspector whose inspections these pages are limited to (None for the office)."""
    return current_user.id if current_user.role == INSPECTOR else None


def _inspection(inspection_id: int):
    return inspections.get(db.session, inspection_id, inspector_id=_mine())


@bp.get("/staff/inspections")
@allow(*INSPECTING)
def day_list():
    try:
        day = date.fromisoformat(request.args.get("day") or clock.today().isoformat())
    except ValueError:
        day = clock.today()
    zip_code = (request.args.get("zip") or "").strip()[:10] or None
    rows = inspections.day_list(db.session, day, zip_code, inspector_id=_mine())
    return render_template("rebates/inspection_day.html", rows=rows, day=day, zip_code=zip_code or "")


def _result_page(inspection, form, errors, status=200):
    office = current_user.role in STAFF
    return render_template("rebates/inspection_result.html", inspection=inspection, form=form, errors=errors,
                           results=RESULTS, photos=inspections.photos_of(db.session, inspection),
                           documents=inspections.application_documents(db.session, inspection),
                           inspectors=inspections.inspectors(db.session) if office else None), status


@bp.get("/staff/inspections/<int:inspection_id>")
@allow(*INSPECTING)
def result_form(inspection_id: int):
    return _result_page(_inspection(inspection_id), {}, {})


@bp.post("/staff/inspections/<int:inspection_id>/inspector")
@allow(*STAFF)
def assign(inspection_id: int):
    """The office gives the inspection to an inspector: it shows on their day list."""
    inspection = inspections.get(db.session, inspection_id)
    choice = request.form.get("inspector_id", "")
    try:
        inspections.assign(db.session, inspection, int(choice) if choice.isdigit() else 0,
                           expected_version=int(request.form["version"]) if request.form.get("version", "").isdigit()
                           else None)
    except AssistError as exc:
        db.session.rollback()
        return _result_page(inspections.get(db.session, inspection_id), {}, exc.fields or {"inspector_id": [exc.message]},
                            exc.status)
    flash(_("The inspection is given to the inspector."), "success")
    return redirect(url_for("inspections.result_form", inspection_id=inspection_id))


@bp.get("/staff/inspections/<int:inspection_id>/documents/<int:document_id>")
@allow(*INSPECTING)
def document(inspection_id: int, document_id: int):
    """A document of the inspected application, opened on site (an audited read, like staff's)."""
    from documents import service as documents

    inspection = _inspection(inspection_id)
    found = inspections.application_document(db.session, inspection, document_id)
    data = documents.read(db.session, current_user, found, reason=f"inspection {inspection.id}")
    inline = found.kind in ("jpeg", "png")
    response = Response(data, mimetype=documents.MIME[found.kind])
    response.headers["Content-Disposition"] = "%s; filename=document-%d.%s" % (
        "inline" if inline else "attachment", found.id, {"jpeg": "jpg"}.get(found.kind, found.kind))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/staff/inspections/<int:inspection_id>")
@allow(*INSPECTING)
def record_result(inspection_id: int):
    inspection = _inspection(inspection_id)
    form = request.form
    try:
        version = whole_number("version", form.get("version"))  # a tampered form is refused, not unchecked
        for upload in request.files.getlist("photos"):
            if upload and upload.filename:
                try:
                    inspections.add_photo(db.session, inspection, current_user, upload.read(), upload.filename)
                except AssistError as exc:
                    raise AssistError(exc.message, fields={"photos": exc.fields.get("file") or [exc.message]}) from None
        inspections.complete(db.session, inspection, result=form.get("result") or None,
                             findings=form.get("findings", ""), measured_area=form.get("measured_area") or None,
                             expected_version=version)
    except AssistError as exc:
        db.session.rollback()
        inspection = _inspection(inspection_id)
        errors = exc.fields or {"result": [exc.message]}
        return _result_page(inspection, form, errors, exc.status)
    day = inspection.window_starts.astimezone(clock.clock().tz).date() if inspection.window_starts else clock.today()
    flash(_("The result is saved."), "success")
    return redirect(url_for("inspections.day_list", day=day.isoformat()))


def _booking_page(inspection, errors, status=200):
    return render_template("rebates/inspection_booking.html", inspection=inspection, errors=errors,
                           slots=inspections.open_slots(db.session), moves_left=inspections.moves_left(inspection),
                           tz=clock.clock().tz), status


@bp.get("/inspections/<int:inspection_id>")
@allow("customer")
def booking(inspection_id: int):
    return _booking_page(inspections.get(db.session, inspection_id, customer_id=current_user.id), {})


@bp.post("/inspections/<int:inspection_id>")
@allow("customer")
def book(inspection_id: int):
    inspection = inspections.get(db.session, inspection_id, customer_id=current_user.id)
    choice = request.form.get("slot_id", "")
    try:
        if choice == "call":
            inspections.schedule(db.session, inspection, call=True)
        else:
            inspections.schedule(db.session, inspection, slot_id=int(choice) if choice.isdigit() else None)
    except AssistError as exc:
        db.session.rollback()
        inspection = inspections.get(db.session, inspection_id, customer_id=current_user.id)
        return _booking_page(inspection, exc.fields or {"slot_id": [exc.message]}, exc.status)
    flash(_("We will call you to find a time.") if choice == "call" else _("Your inspection is booked. We sent you a confirmation."), "success")
    return redirect(url_for("inspections.booking", inspection_id=inspection_id))


def init_inspections(app) -> None:
    from core.nav import register_landing, register_nav

    register_nav(app, "inspections.day_list", _l("Inspections"), STAFF, order=18, group="work")
    # Their only page: in the header, not a side group of one entry.
    register_nav(app, "inspections.day_list", _l("My inspections"), (INSPECTOR,), order=10)
    # An inspector lands on their day list.
    register_landing(app, INSPECTOR, "inspections.day_list")
