"""The customer's pages for applying for a rebate (server-rendered, no JavaScript needed): choose the
account and a device, give the purchase (its quote and explanation shown at once), add more items,
upload a receipt and photos per item, choose how to be paid, sign and send. The lifecycle does the rest."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.service import linked_accounts
from applications import service as lifecycle
from core import clock
from core.access import allow
from core.database import db
from core.errors import AssistError
from core.money import MoneyError, parse_dollars
from rebates import applying, explain, kind, service
from rebates.views import MONEY_FIELDS, _devices, language

bp = Blueprint("rebate_apply", __name__)


def _item_from(form, device) -> tuple[dict, dict]:
    """The item the form describes, and the problems by field."""
    errors: dict[str, list[str]] = {}
    item: dict = {"measure": device["measure"]["code"], "attributes": {}}
    try:
        item["quantity"] = int(form.get("quantity", "").strip())
        if not 1 <= item["quantity"] <= 1_000_000:
            raise ValueError
    except ValueError:
        errors["quantity"] = [_("Give how many, as a whole number.")]
    for name in ("purchased_on", "installed_on"):
        text = form.get(name, "").strip()
        if not text:
            if name == "purchased_on":
                errors[name] = [_("Give the date of purchase.")]
            continue
        try:
            item[name] = date.fromisoformat(text)
        except ValueError:
            errors[name] = [_("Give a date like 2026-07-01.")]
    for name, _label in MONEY_FIELDS:
        try:
            item[name] = parse_dollars(form.get(name, "").strip() or "0", allow_negative=False)
        except MoneyError:
            errors[name] = [_("Give an amount in dollars, like 89.00.")]
    for attribute in device["attributes"]:
        text = form.get(f"attr-{attribute}", "").strip()
        if text:
            try:
                item["attributes"][attribute] = Decimal(text.replace(",", "."))
            except InvalidOperation:
                errors[f"attr-{attribute}"] = [_("Give a number, like 1.28.")]
    item["model"] = form.get("model", "").strip()[:100] or None
    item["retailer"] = form.get("retailer", "").strip()[:200] or None
    item["invoice_number"] = form.get("invoice_number", "").strip()[:100] or None
    return item, errors


def _existing_items(application) -> list[dict]:
    return [{"measure": i.measure, "quantity": i.quantity, "model": i.model, "purchased_on": i.purchased_on,
             "installed_on": i.installed_on, "price": i.price_cents, "tax": i.tax_cents, "labor": i.labor_cents,
             "delivery": i.delivery_cents, "discounts": i.discounts_cents, "attributes": dict(i.attributes),
             "retailer": i.retailer, "invoice_number": i.invoice_number} for i in application.rebate.items]


def _page(application=None, *, errors=None, form=None, status=200):
    session = db.session
    lang = language()
    devices = _devices(service.quotable(session), clock.today(), lang)
    if application is not None:  # more items come from the application's program only
        devices = [d for d in devices if d["program"].id == application.rebate.program_id]
    form = form if form is not None else request.args
    device = next((d for d in devices if d["key"] == form.get("device", "")), None)
    context = {}
    if application is not None:
        context = kind.panel_context(session, application, lang)
        context["view"] = kind.present(session, application, lang, staff=False)
    return render_template("rebates/apply.html", application=application, devices=devices, device=device,
                           values=form, errors=errors or {}, money_fields=MONEY_FIELDS,
                           accounts=linked_accounts(session, current_user.id) if application is None else [],
                           attribute_label=lambda code: explain.attribute_label(code, lang), **context), status


def _draft(application_id: int):
    application = lifecycle.get_for(db.session, current_user, application_id)
    if application.kind != applying.CODE:
        from core.errors import NotFound

        raise NotFound(_("No such application."))
    return application


@bp.get("/rebates/apply")
@allow("customer")
def start_page():
    return _page()


@bp.post("/rebates/apply")
@allow("customer")
def start():
    session = db.session
    devices = _devices(service.quotable(session), clock.today(), language())
    device = next((d for d in devices if d["key"] == request.form.get("device", "")), None)
    if device is None:
        return _page(errors={"device": [_("Choose a device.")]}, form=request.form, status=422)
    item, errors = _item_from(request.form, device)
    if errors:
        return _page(errors=errors, form=request.form, status=422)
    data = {"account_number": request.form.get("account", ""), "program": device["program"].code, "items": [item],
            "payment": {"method": "bill_credit", "mailing_address": None},
            "applicant": {"role": "owner", "owner_name": None, "owner_contact": None, "owner_consent": False}}
    try:
        application = applying.start(session, user=current_user, applicant=current_user, data=data)
    except AssistError as exc:
        session.rollback()
        return _page(errors=exc.fields or {"_form": [exc.message]}, form=request.form, status=exc.status)
    return redirect(url_for("rebate_apply.draft", application_id=application.id))


@bp.get("/rebates/applications/<int:application_id>")
@allow("customer")
def draft(application_id: int):
    application = _draft(application_id)
    if application.status != "draft":
        return redirect(url_for("applications.status", application_id=application.id))
    return _page(application)


@bp.post("/rebates/applications/<int:application_id>/items")
@allow("customer")
def add_item(application_id: int):
    session = db.session
    application = lifecycle.get_for_change(session, current_user, application_id)
    devices = [d for d in _devices(service.quotable(session), clock.today(), language())
               if d["program"].id == application.rebate.program_id]
    device = next((d for d in devices if d["key"] == request.form.get("device", "")), None)
    if device is None:
        return _page(application, errors={"device": [_("Choose a device.")]}, form=request.form, status=422)
    item, errors = _item_from(request.form, device)
    if errors:
        return _page(application, errors=errors, form=request.form, status=422)
    try:
        applying.update(session, application, {"items": _existing_items(application) + [item]})
    except AssistError as exc:
        session.rollback()
        return _page(_draft(application_id), errors=exc.fields or {"_form": [exc.message]}, form=request.form,
                     status=exc.status)
    return redirect(url_for("rebate_apply.draft", application_id=application_id))


@bp.post("/rebates/applications/<int:application_id>/documents")
@allow("customer")
def upload(application_id: int):
    session = db.session
    application = lifecycle.get_for_change(session, current_user, application_id)
    file = request.files.get("file")
    if file is None or not file.filename:
        errors, form = {"file": [_("Choose a file to upload.")]}, {"item": request.form.get("item", "0")}
        if application.status != "draft":
            from rebates import kind

            return kind.customer_page(application, errors=errors, form=form, status=422)
        return _page(application, errors=errors, form=form, status=422)
    try:
        applying.attach(session, current_user, application, file, request.form)
    except AssistError as exc:
        session.rollback()
        errors = exc.fields or {"file": [exc.message]}
        form = {"item": request.form.get("item", "0"), "requirement": request.form.get("requirement", "receipt")}
        application = lifecycle.get_for(session, current_user, application_id)
        if application.status != "draft":  # answering an information request, on the status page
            from rebates import kind

            return kind.customer_page(application, errors=errors, form=form, status=exc.status)
        return _page(_draft(application_id), errors=errors, form=form, status=exc.status)
    if application.status != "draft":
        flash(_("Thank you. We have your file and will review it."), "success")
    return redirect(url_for("rebate_apply.draft", application_id=application_id))


@bp.post("/rebates/applications/<int:application_id>/submit")
@allow("customer")
def submit(application_id: int):
    session = db.session
    application = lifecycle.get_for_change(session, current_user, application_id)
    form = request.form
    address = None
    if form.get("method") == "check":
        address = {k: form.get(f"address_{k}", "").strip() or None for k in ("name", "line1", "line2", "city",
                                                                            "state", "zip")}
    try:
        data = applying.load(applying.RebateUpdateIn(), {
            "payment": {"method": form.get("method") or "bill_credit",
                        **({"mailing_address": address} if address else {})},
            "applicant": {"role": form.get("role") or "owner", "owner_name": form.get("owner_name") or None,
                          "owner_contact": form.get("owner_contact") or None,
                          "owner_consent": form.get("owner_consent") == "1"}})
        applying.update(session, application, data)
        lifecycle.submit(session, current_user, application, form.get("signature", ""))
    except AssistError as exc:
        session.rollback()
        errors = exc.fields or {"_form": [exc.message]}
        errors = {("address" if key.startswith("payment.mailing_address") else key): value
                  for key, value in errors.items()}
        return _page(_draft(application_id), errors=errors, form=form, status=exc.status)
    return redirect(url_for("applications.status", application_id=application_id))
