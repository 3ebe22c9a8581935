"""The rebate kind's operations on the one application lifecycle (`applications.service`): starting
and changing a draft, the quote kept per item, the history of other rebate applications for the
limits, the flags raised on submission, and what approving pays.

The lifecycle does the rest (documents, submit, queue, claims, information requests, decisions,
appeals, withdrawal, letters, history, audit). Each function flushes; the caller commits once.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from marshmallow import ValidationError, fields, validate
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from accounts.models import Account
from applications import service as lifecycle
from applications.models import Application, ApplicationDocument, Flag
from core import audit, clock
from core.errors import Conflict, Invalid
from core.schemas import BaseSchema, Dollars
from documents.models import Document
from eligibility.enrolled import enrolled_programs
from rebates import explain, service
from rebates.applications import (APPLICANT_ROLES, PAYMENT_METHODS, REQUIREMENTS, UNDECIDED, RebateApplication,
                                  RebateDocument, RebateItem)
from rebates.schemas import MAX_ITEMS, QuoteItem, first_problem

CODE = "rebate"
ZERO_REASON_FLAGS = ("limit_reached", "late_application", "not_qualified_product", "condition_not_met")
FLAG_CODES = ("duplicate_receipt", *ZERO_REASON_FLAGS, "tenant_without_consent", "receipt_missing", "already_applied",
              "same_address_other_account")


# --- the request ------------------------------------------------------------------------------

class ItemIn(QuoteItem):
    retailer = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    invoice_number = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class AddressIn(BaseSchema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    line1 = fields.String(required=True, validate=validate.Length(1, 200))
    line2 = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    city = fields.String(required=True, validate=validate.Length(1, 100))
    state = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z]{2}$", error="Two letters, like CA."))
    zip = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{5}(-[0-9]{4})?$", error="Like 94110."))


class PaymentIn(BaseSchema):
    method = fields.String(load_default="bill_credit", validate=validate.OneOf(PAYMENT_METHODS))
    mailing_address = fields.Nested(AddressIn, load_default=None, allow_none=True)


class ApplicantIn(BaseSchema):
    role = fields.String(load_default="owner", validate=validate.OneOf(APPLICANT_ROLES))
    owner_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    owner_contact = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    owner_consent = fields.Boolean(load_default=False)


class RebateApplicationIn(BaseSchema):
    kind = fields.String(required=True, validate=validate.Equal(CODE))
    account_number = fields.String(required=True, validate=validate.Length(1, 32))
    program = fields.String(required=True, validate=validate.Length(1, 40))
    items = fields.List(fields.Nested(ItemIn), required=True, validate=validate.Length(1, MAX_ITEMS))
    payment = fields.Nested(PaymentIn, load_default=lambda: {"method": "bill_credit", "mailing_address": None})
    applicant = fields.Nested(ApplicantIn, load_default=lambda: {"role": "owner", "owner_name": None,
                                                                 "owner_contact": None, "owner_consent": False})
    applicant_email = fields.Email(metadata={"description": "Staff only: the customer the application is for"})


class RebateUpdateIn(BaseSchema):
    kind = fields.String(validate=validate.Equal(CODE))
    items = fields.List(fields.Nested(ItemIn), validate=validate.Length(1, MAX_ITEMS))
    payment = fields.Nested(PaymentIn)
    applicant = fields.Nested(ApplicantIn)
    version = fields.Integer(strict=True)


class AmountIn(BaseSchema):
    amount = Dollars(load_default=None, allow_none=True)


def load(schema, body) -> dict:
    """The body through `schema`; a problem is a 422 naming its field."""
    if not isinstance(body, dict):
        raise Invalid(_("The request body must be a JSON object."))
    try:
        return schema.load(body)
    except ValidationError as exc:
        problem = first_problem(exc.messages)
        field_name = problem.split(":", 1)[0]
        raise Invalid(problem, fields={field_name: [problem.split(": ", 1)[-1]]}) from None


# --- the draft --------------------------------------------------------------------------------

def start(session: Session, *, user, applicant, data: dict) -> Application:
    """A draft rebate application for one of the applicant's linked accounts (staff: any account)."""
    number = data["account_number"].strip()
    account = session.scalar(select(Account).where(Account.number == number))
    _check_account(session, applicant, account)
    program = service.find_quotable(session, data["program"])
    now = clock.now()
    application = Application(account_id=account.id, applicant_id=applicant.id, started_by_id=user.id,
                              assisted=user.is_staff, kind=CODE, status="draft", language=applicant.language or "en",
                              created_at=now, updated_at=now)
    application.rebate = RebateApplication(program=program, premise=service.premise_of(account), status="pending",
                                           quote_cents=0)
    _set_payment(application.rebate, data["payment"])
    _set_applicant(application.rebate, data["applicant"])
    session.add(application)
    session.flush()
    _set_items(session, application.rebate, data["items"])
    requote(session, application, clock.today())
    lifecycle.record_event(session, application, "started", "draft", from_status=None,
                           note=_("Started by staff for the customer") if user.is_staff else None)
    return application


def _check_account(session: Session, applicant, account: Account | None) -> None:
    """The account holder applies: a login linked to an active account (staff apply for that login)."""
    from accounts.models import AccountLink

    if account is None:
        raise Invalid(_("No such account."), fields={"account_number": [_("No such account.")]})
    linked = session.scalar(select(func.count()).select_from(AccountLink).where(
        AccountLink.user_id == applicant.id, AccountLink.account_id == account.id))
    if not linked:
        message = _("This account is not linked to the applicant's login.")
        raise Invalid(message, fields={"account_number": [message]})
    if account.status != "active":
        raise Invalid(_("This account is closed."), fields={"account_number": [_("This account is closed.")]})


def update(session: Session, application: Application, data: dict) -> Application:
    """Change the items, payment or applicant of a draft; the quote follows (applied today)."""
    if application.status != "draft":
        raise Conflict(_("This application was submitted and can no longer be changed."))
    detail = application.rebate
    if "payment" in data:
        _set_payment(detail, data["payment"])
    if "applicant" in data:
        _set_applicant(detail, data["applicant"])
    if "items" in data:
        _set_items(session, detail, data["items"])
    requote(session, application, clock.today())
    lifecycle.touch(application)
    audit.record(session, "application.changed", obj=application, details={"fields": sorted(set(data) - {"version"})})
    return application


def _set_payment(detail: RebateApplication, payment: dict) -> None:
    if payment["method"] == "check" and not payment.get("mailing_address"):
        message = _("Give the address the check is mailed to.")
        raise Invalid(message, fields={"payment.mailing_address": [message]})
    detail.payment_method = payment["method"]
    detail.mailing_address = dict(payment["mailing_address"]) if payment.get("mailing_address") else None


def _set_applicant(detail: RebateApplication, applicant: dict) -> None:
    detail.applicant_role = applicant["role"]
    tenant = applicant["role"] == "tenant"
    detail.owner_name = (applicant.get("owner_name") or "").strip() or None if tenant else None
    detail.owner_contact = (applicant.get("owner_contact") or "").strip() or None if tenant else None
    detail.owner_consent = bool(applicant.get("owner_consent")) if tenant else False


def _set_items(session: Session, detail: RebateApplication, items: list[dict]) -> None:
    """The items as sent, in order; rows past the new count go (their files stay, linked to no item)."""
    existing = list(detail.items)
    gone = [row.id for row in existing[len(items):] if row.id is not None]
    if gone:
        session.execute(update(RebateDocument).where(RebateDocument.item_id.in_(gone)).values(item_id=None))
        for row in existing[len(items):]:
            detail.items.remove(row)
    for position, item in enumerate(items):
        row = existing[position] if position < len(existing) else None
        if row is None:
            row = RebateItem(position=position, counted_quantity=0, amount_cents=0, reasons=[], explanation={})
            detail.items.append(row)
        row.measure, row.quantity, row.model = item["measure"].upper(), item["quantity"], item.get("model")
        row.purchased_on, row.installed_on = item["purchased_on"], item.get("installed_on")
        for name in ("price", "tax", "labor", "delivery", "discounts"):
            setattr(row, f"{name}_cents", item.get(name, 0))
        row.attributes = {key: str(value) for key, value in (item.get("attributes") or {}).items()}
        row.retailer = (item.get("retailer") or "").strip() or None
        row.invoice_number = (item.get("invoice_number") or "").strip() or None
    session.flush()


# --- the quote and its history ----------------------------------------------------------------

def requote(session: Session, application: Application, applied_on: date) -> int:
    """Quote the items as of `applied_on` with the home's history, and keep each item's result."""
    detail = application.rebate
    program = detail.program
    account = session.get(Account, application.account_id)
    data = {"program": program.code, "applied_on": applied_on, "premise": detail.premise, "account": account.number,
            "customer": str(application.applicant_id),
            "enrolled_in": sorted(enrolled_programs(session, account.id, applied_on)),
            "items": [{"measure": i.measure, "quantity": i.quantity, "model": i.model, "purchased_on": i.purchased_on,
                       "installed_on": i.installed_on, "price": i.price_cents, "tax": i.tax_cents,
                       "labor": i.labor_cents, "delivery": i.delivery_cents, "discounts": i.discounts_cents,
                       "attributes": {k: Decimal(str(v)) for k, v in i.attributes.items()}} for i in detail.items]}
    data["history"] = service.history(session, program, premise=detail.premise, account=account.number,
                              customer=str(application.applicant_id), exclude_application=application.id)
    result = service.quote(session, program, data)
    names = {language: service.measure_names(program, language) for language in ("en", "es")}
    for row, quoted in zip(detail.items, result.items):
        row.counted_quantity, row.amount_cents = quoted.counted_quantity, quoted.amount_cents
        row.reasons, row.rule_version = list(quoted.reasons), quoted.rule_version
        row.explanation = {language: explain.render(quoted.trace, language, names[language].get(row.measure, row.measure),
                                                    quoted.unit) for language in ("en", "es")}
    detail.quote_cents = result.amount_cents
    session.flush()
    return result.amount_cents


# --- documents --------------------------------------------------------------------------------

def attach(session: Session, user, application: Application, file, form) -> tuple[ApplicationDocument, bool]:
    """A receipt, photo or other file for item `item` (0-based) through the lifecycle's documents."""
    requirement = form.get("requirement", "receipt")
    if requirement not in REQUIREMENTS:
        raise Invalid(_("requirement is receipt, photo or other."), fields={"requirement": [_("Unknown requirement.")]})
    item = None
    raw = form.get("item")
    if raw not in (None, ""):
        if not str(raw).isascii() or not str(raw).isdigit() or int(raw) >= len(application.rebate.items):
            message = _("item is the 0-based number of an item on this application.")
            raise Invalid(message, fields={"item": [message]})
        item = application.rebate.items[int(raw)]
    elif len(application.rebate.items) == 1:
        item = application.rebate.items[0]
    link, duplicate = lifecycle.attach(session, user, application, data=file.read(), filename=file.filename,
                                       requirement=requirement)
    row = session.get(RebateDocument, link.id)
    if row is None:
        session.add(RebateDocument(attachment_id=link.id, item_id=item.id if item is not None else None))
    elif item is not None:
        row.item_id = item.id
    session.flush()
    return link, duplicate


def documents_by_item(session: Session, application: Application) -> dict[int | None, list[ApplicationDocument]]:
    rows = dict(session.execute(select(RebateDocument.attachment_id, RebateDocument.item_id).join(
        ApplicationDocument, ApplicationDocument.id == RebateDocument.attachment_id).where(
        ApplicationDocument.application_id == application.id)).all())
    out: dict[int | None, list[ApplicationDocument]] = {}
    for link in application.attachments:
        out.setdefault(rows.get(link.id), []).append(link)
    return out


def missing_documents(application: Application) -> list[str]:
    from sqlalchemy.orm import object_session

    session = object_session(application)
    by_item = documents_by_item(session, application)
    for row in application.rebate.items:
        if not any(a.requirement == "receipt" for a in by_item.get(row.id, [])):
            return ["receipt"]
    return []


# --- submission: the quote again, and the flags -----------------------------------------------

def check_submit(application: Application) -> None:
    if not application.rebate.items:
        message = _("Add at least one item first.")
        raise Invalid(message, fields={"items": [message]})


def evaluate(session: Session, application: Application) -> None:
    """At submission: the quote as of the submission day, then the flags (they never block)."""
    if application.status == "submitted" and application.rebate.status == "pending":
        lock_home(session, application)
        requote(session, application, application.submitted_on or clock.today())
    application.flags = [f for f in application.flags if f.code not in FLAG_CODES] + [
        Flag(code=code, program_code=measure, message=message, details=details, raised_at=clock.now())
        for code, measure, message, details in flags(session, application)]
    session.flush()
    if application.status == "submitted":
        on_submitted(session, application)


def lock_home(session: Session, application: Application) -> None:
    """Two submissions for the same home are quoted one after the other, so the second counts the
    first's units: a transaction lock on the premise (PostgreSQL; SQLite's BEGIN IMMEDIATE already
    serialises writers), taken before the history is read and held until the commit."""
    if session.get_bind().dialect.name != "postgresql":
        return
    import hashlib

    from sqlalchemy import text

    key = int.from_bytes(hashlib.sha256(f"rebate-premise:{application.rebate.premise}".encode()).digest()[:8],
                         "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def flags(session: Session, application: Application) -> list[tuple[str, str | None, str, dict]]:
    detail = application.rebate
    out: list[tuple[str, str | None, str, dict]] = []
    others = (select(Application.id).where(Application.kind == CODE, Application.id != application.id,
                                           Application.status != "draft"))
    # The same file on another rebate application, of any customer.
    hashes = {a.document.sha256 for a in application.attachments if a.requirement == "receipt"}
    if hashes:
        found = sorted(set(session.scalars(
            select(ApplicationDocument.application_id).join(Document, Document.id == ApplicationDocument.document_id)
            .where(Document.sha256.in_(sorted(hashes)), ApplicationDocument.application_id.in_(others)))))
        if found:
            out.append(("duplicate_receipt", None, _("The same receipt file is on another rebate application."),
                        {"applications": found}))
    for row in detail.items:
        if row.retailer and row.invoice_number:
            found = sorted(set(session.scalars(
                select(RebateItem.application_id).where(
                    func.lower(RebateItem.retailer) == row.retailer.lower(),
                    func.lower(RebateItem.invoice_number) == row.invoice_number.lower(),
                    RebateItem.application_id.in_(others)))))
            if found:
                out.append(("duplicate_receipt", row.measure,
                            _("Invoice %(invoice)s from %(retailer)s is on another rebate application.",
                              invoice=row.invoice_number, retailer=row.retailer),
                            {"applications": found, "item": row.position}))
    for row in detail.items:
        reason = next((r for r in row.reasons if r in ZERO_REASON_FLAGS), None)
        if row.amount_cents == 0 and reason:
            out.append((reason, row.measure, _("Item %(number)s earns nothing: %(reason)s.",
                                               number=row.position + 1, reason=reason),
                        {"item": row.position, "reasons": list(row.reasons)}))
        elif row.counted_quantity < row.quantity and row.amount_cents > 0:
            out.append(("limit_reached", row.measure,
                        _("Item %(number)s: %(counted)s of %(asked)s units counted; the limit is reached.",
                          number=row.position + 1, counted=row.counted_quantity, asked=row.quantity),
                        {"item": row.position, "counted_quantity": row.counted_quantity, "quantity": row.quantity}))
    if detail.applicant_role == "tenant" and not (detail.owner_consent and detail.owner_name and detail.owner_contact):
        out.append(("tenant_without_consent", None,
                    _("A tenant applied without the owner's name, contact and consent."), {}))
    by_item = documents_by_item(session, application)
    for row in detail.items:
        if not any(a.requirement == "receipt" for a in by_item.get(row.id, [])):
            out.append(("receipt_missing", row.measure, _("Item %(number)s has no receipt.", number=row.position + 1),
                        {"item": row.position}))
    measures = sorted({row.measure for row in detail.items})
    if measures:
        found = session.execute(
            select(RebateItem.measure, Application.id).join(
                RebateApplication, RebateApplication.application_id == RebateItem.application_id)
            .join(Application, Application.id == RebateApplication.application_id)
            .where(RebateApplication.premise == detail.premise, Application.id != application.id,
                   Application.status.in_(UNDECIDED), RebateItem.measure.in_(measures))).all()
        for measure in measures:
            ids = sorted({app_id for m, app_id in found if m == measure})
            if ids:
                out.append(("already_applied", measure,
                            _("Another open rebate application for this home asks for %(measure)s.", measure=measure),
                            {"applications": ids}))
    # The same home under another account (a new owner, a second account): shown with links.
    elsewhere = session.execute(
        select(Application.id, Account.number).join(RebateApplication, RebateApplication.application_id == Application.id)
        .join(Account, Account.id == Application.account_id)
        .where(RebateApplication.premise == detail.premise, Application.account_id != application.account_id,
               Application.status != "draft").order_by(Application.id)).all()
    if elsewhere:
        out.append(("same_address_other_account", None,
                    _("Rebate applications for the same service address under another account: %(accounts)s.",
                      accounts=", ".join(sorted({number for _id, number in elsewhere}))),
                    {"applications": [app_id for app_id, _n in elsewhere],
                     "accounts": sorted({number for _id, number in elsewhere})}))
    return out


# --- decisions --------------------------------------------------------------------------------

def before_decision(session: Session, application: Application, data: dict) -> None:
    """An approval pays the held quote or a lower amount with a reason; never more (422 naming `amount`)."""
    detail = application.rebate
    if data.get("decision") == "approve":
        from rebates import inspections

        blocked = inspections.approval_blocked(session, application.id)
        if blocked:  # a required inspection has not passed: approving now would pay for unseen work
            raise Conflict(blocked + " " + _("Approve the claim once it has passed."))
    amount = data.get("amount")
    if data.get("decision") != "approve" or application.status not in ("submitted", "in_review") \
            or detail.status != "pending":
        if amount is not None and data.get("decision") != "approve":
            message = _("An amount goes with an approval only.")
            raise Invalid(message, fields={"amount": [message]})
        return
    if amount is None:
        amount = detail.quote_cents
    if amount > detail.quote_cents:
        message = _("The amount cannot be more than the quote, %(quote)s.", quote=_dollars(detail.quote_cents))
        raise Invalid(message, fields={"amount": [message]})
    if amount <= 0:
        message = _("Approve an amount above zero, or deny the application.")
        raise Invalid(message, fields={"amount": [message]})
    if amount < detail.quote_cents and not (data.get("reason") or "").strip():
        message = _("Say why the rebate is less than the quote.")
        raise Invalid(message, fields={"reason": [message]})
    detail.approving_cents = amount


def _dollars(cents: int) -> str:
    from core.money import format_dollars

    return format_dollars(cents)


def grant(session: Session, application: Application, detail: RebateApplication):
    """Approving: the approved amount is kept, committed on the budget and paid once (`on_approved`)."""
    amount = getattr(detail, "approving_cents", None) or detail.approved_cents or detail.quote_cents
    detail.approved_cents = amount
    session.flush()
    if amount > 0:
        on_approved(session, application, amount)
    return None


def decided(session: Session, application: Application, detail: RebateApplication, approved: bool) -> bool:
    if not approved:
        on_denied(session, application)
    return False


def withdrawn(session: Session, application: Application) -> None:
    on_withdrawn(session, application)


# --- the budget and the payment ----------------------------------------------------------------
# Submission holds the quote on the program's budget (or puts the application in line), approval
# commits the approved amount and pays it one way, and denial, withdrawal and closure release it.

def on_submitted(session: Session, application: Application) -> None:
    """Hold the submission's quote on its fiscal year, or wait in line for funds (status `waitlisted`)."""
    from rebates import budgets

    if budgets.holds_or_waits(session, application.id):
        return  # a re-evaluation (a document read later), not a new submission
    detail = application.rebate
    placed = budgets.hold(session, application.id, detail.program, application.submitted_on or clock.today(),
                          detail.quote_cents, application.submitted_at)
    if placed.status == "waitlisted":
        lifecycle.move(session, application, "waitlisted", "waitlisted",
                       note=_("The budget cannot cover %(amount)s now: number %(place)s in line for funds",
                              amount=_dollars(placed.cents), place=placed.position))
        lifecycle.send_notice(session, application, "waitlisted", program=detail)


def take_off_waitlist(offer) -> None:
    """Funds reached a waiting application: it holds them and goes to the queue; the customer is told."""
    from core.database import db

    session = db.session
    application = session.get(Application, offer.application_id)
    if application is None or application.kind != CODE or application.status != "waitlisted":
        return
    lifecycle.move(session, application, "submitted", "taken_off_waitlist",
                   note=_("Funds available: %(amount)s held", amount=_dollars(offer.cents)))
    audit.record(session, "application.taken_off_waitlist", obj=application, details={"amount_cents": offer.cents})
    lifecycle.send_notice(session, application, "waitlist_offer", program=application.rebate)


def on_approved(session: Session, application: Application, amount_cents: int) -> None:
    """Commit the approved amount (the rest of the hold goes back to the budget) and pay it the chosen way,
    once: a second call (an overturned appeal of an approved line, a retry) finds both done."""
    from rebates import budgets, payments

    detail = application.rebate
    budgets.approve(session, application.id, detail.program, application.submitted_on or clock.today(), amount_cents)
    payment = payments.live_payment(session, application.id)
    if payment is None:
        payment = payments.create_payment(
            session, application.id, program=detail.program, account=session.get(Account, application.account_id),
            customer_id=application.applicant_id, method=detail.payment_method, cents=amount_cents,
            mailing_address=detail.mailing_address)
    detail.ledger_entry_id = payment.ledger_entry_id
    session.flush()


def on_denied(session: Session, application: Application) -> None:
    from rebates import budgets

    budgets.release(session, application.id, "denied")


def on_withdrawn(session: Session, application: Application) -> None:
    from rebates import budgets

    budgets.release(session, application.id, "withdrawn")


def closed(session: Session, application: Application) -> None:
    """Closed for no answer to an information request: the hold goes back to the budget."""
    from rebates import budgets

    budgets.release(session, application.id, "closed")
