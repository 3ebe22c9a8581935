"""The rebate kind, as the shared lifecycle sees it (`applications.kinds`): its one line (the
program, approved for the quote or less), its files (a receipt per item, photos), what approving
pays, its API shape, its letters' words and its review panel."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, joinedload

from applications import kinds
from applications.models import Application
from core.money import format_dollars
from rebates import applying, service
from rebates.applications import REQUIREMENTS, RebateApplication
from rebates.models import RebateProgram

CODE = applying.CODE


def _applicant(session: Session, user, body: dict):
    from auth import service as auth_service
    from core.errors import Forbidden, Invalid

    if not user.is_staff:
        if body.get("applicant_email"):
            raise Forbidden()
        return user
    if not body.get("applicant_email"):
        raise Invalid("Staff give the customer's sign-in email as applicant_email.",
                      fields={"applicant_email": ["No customer login has this email."]})
    return auth_service.find_customer(session, body["applicant_email"], field="applicant_email")


def create(session: Session, user, body) -> Application:
    data = applying.load(applying.RebateApplicationIn(), body)
    return applying.start(session, user=user, applicant=_applicant(session, user, data), data=data)


def update(session: Session, application: Application, body) -> Application:
    return applying.update(session, application, applying.load(applying.RebateUpdateIn(), body))


def payment_status(session: Session, application: Application) -> tuple[str, str | None, object]:
    """(status, reference, payment): the payment's own status once approved (pending, sent, paid,
    refused, needs_w9); the reference is the check number once issued, or the bill credit's entry."""
    from rebates import payments

    payment = payments.latest_payment(session, application.id)
    if payment is None:
        return "pending", None, None
    reference = payment.reference or (str(payment.ledger_entry_id) if payment.ledger_entry_id else None)
    return payment.status, reference, payment


def present(session: Session, application: Application, language: str = "en", staff: bool = True) -> dict:
    """The issue's shape of a rebate application; a customer's leaves out flags and assignment."""
    from accounts.models import Account

    from rebates import budgets

    detail = application.rebate
    account = session.get(Account, application.account_id)
    by_item = applying.documents_by_item(session, application)
    status, reference, payment = payment_status(session, application)

    def doc(a) -> dict:
        return {"id": a.document_id, "requirement": a.requirement, "status": a.document.status,
                "filename": a.document.original_filename}

    body = {
        "id": application.id, "number": application.number, "kind": CODE, "status": application.status,
        "account_number": account.number, "program": detail.program.code,
        "items": [{"measure": i.measure, "quantity": i.quantity, "model": i.model,
                   "purchased_on": i.purchased_on.isoformat(),
                   "installed_on": i.installed_on.isoformat() if i.installed_on else None,
                   "retailer": i.retailer, "invoice_number": i.invoice_number,
                   "counted_quantity": i.counted_quantity, "amount_cents": i.amount_cents, "reasons": list(i.reasons),
                   "rule_version": i.rule_version,
                   "explanation": (i.explanation or {}).get(language) or (i.explanation or {}).get("en", ""),
                   "documents": [doc(a) for a in by_item.get(i.id, [])]} for i in detail.items],
        "quote_cents": detail.quote_cents, "approved_cents": detail.approved_cents,
        "hold_cents": budgets.held_cents(session, application.id),
        "waitlist_position": budgets.position(session, application.id) if application.status == "waitlisted" else None,
        "payment": {"method": payment.method if payment is not None else detail.payment_method, "status": status,
                    "reference": reference, "paid_on": payment.paid_on.isoformat() if payment and payment.paid_on else None,
                    "mailing_address": detail.mailing_address},
        "applicant": {"role": detail.applicant_role, "owner_name": detail.owner_name,
                      "owner_contact": detail.owner_contact, "owner_consent": detail.owner_consent},
        "decision": {"status": detail.status, "reason": detail.reason_code},
        "flags": [{"code": f.code, "measure": f.program_code, "message": f.message, "details": f.details}
                  for f in application.flags],
        "notices": [{"kind": n.kind, "sent_at": n.created_at.isoformat(), "language": n.language,
                     "subject": n.subject} for n in application.notices],
        "documents": [doc(a) for a in application.attachments],
        "submitted_on": application.submitted_on.isoformat() if application.submitted_on else None,
        "info_due_on": application.info_due_on.isoformat() if application.info_due_on else None,
        "info_checklist": application.info_checklist,
        "assigned_to": application.assigned_to_id, "version": application.version,
    }
    if not staff:
        body.pop("flags")
        body.pop("assigned_to")
    return body


def letter_context(session: Session, application: Application, detail: RebateApplication, language: str) -> dict:
    """The program in words, and for an approval the amount and how it is paid."""
    from rebates import budgets

    context = {"name": detail.program.names.get(language) or detail.program.names.get("en") or detail.program.code,
               "quote": format_dollars(detail.quote_cents)}
    if application.status == "waitlisted":
        context["position"] = budgets.position(session, application.id)
    _status, reference, payment = payment_status(session, application)
    if payment is not None and payment.status == "paid":
        context["paid"] = {"method": payment.method, "amount": format_dollars(payment.amount_cents),
                           "paid_on": payment.paid_on, "reference": reference}
    if detail.status == "approved":
        amount = format_dollars(detail.approved_cents or 0)
        context["benefit"] = (_("a rebate of %(amount)s as a credit on your bill", amount=amount)
                              if detail.payment_method == "bill_credit"
                              else _("a rebate of %(amount)s by check", amount=amount))
        if (detail.approved_cents or 0) < detail.quote_cents:
            context["benefit"] += " " + _("(less than the %(quote)s quoted; the reason is below)",
                                          quote=format_dollars(detail.quote_cents))
        context["explanation"] = "\n".join((item.explanation or {}).get(language) or (item.explanation or {}).get("en", "")
                                           for item in detail.items)
    return context


def panel_context(session: Session, application: Application, language: str) -> dict:
    """The review panel: items with their quote and explanation and files, and the home's history."""
    detail = application.rebate
    from accounts.models import Account

    account = session.get(Account, application.account_id)
    past = service.history(session, detail.program, premise=detail.premise, account=account.number,
                            customer=str(application.applicant_id), exclude_application=application.id)
    by_item = applying.documents_by_item(session, application)
    program = detail.program
    return {"rebate": present(session, application, language, staff=True), "history": past,
            "unlinked": by_item.get(None, []), "program_name": program.name(language),
            "program_names": {program.code: program.name(language)},
            "measure_names": service.measure_names(program, language),
            "payment_labels": {"bill_credit": _("Credit on the bill"), "check": _("Check by mail")},
            "payment_status_labels": {"pending": _("not sent yet"), "sent": _("sent, waiting for the answer"),
                                      "paid": _("paid"), "refused": _("refused: send it again or pay by check"),
                                      "needs_w9": _("waiting for a W-9")},
            "role_labels": {"owner": _("Owner"), "tenant": _("Tenant")},
            "requirement_labels": {"receipt": _("Receipt"), "photo": _("Photo"), "other": _("Other document")}}


def customer_page(application: Application, *, errors: dict, form: dict, status: int = 200):
    """The customer's page of a rebate application: where it stands, each item's quote and files, letters."""
    from flask import render_template

    from applications.labels import STATUS_LABELS
    from core.database import db
    from core.language import language as page_language

    lang = page_language()
    context = panel_context(db.session, application, lang)
    _status, _reference, payment = payment_status(db.session, application)
    return render_template("rebates/application.html", application=application, payment=payment,
                           view=present(db.session, application, lang, staff=False), statuses=STATUS_LABELS,
                           errors=errors, form=form, language=lang,
                           **{k: context[k] for k in ("program_name", "measure_names", "payment_labels",
                                                      "requirement_labels")}), status


def _program_filter(session: Session, code: str):
    program_id = select(RebateProgram.id).where(RebateProgram.code == code.strip().upper()).scalar_subquery()
    return and_(Application.kind == CODE, exists().where(and_(RebateApplication.application_id == Application.id,
                                                              RebateApplication.program_id == program_id)))


def register() -> kinds.Kind:
    kinds.declare_request_schemas(create=applying.RebateApplicationIn, update=applying.RebateUpdateIn)
    return kinds.register(kinds.Kind(
        code=CODE, label=_l("Rebate"), lines=lambda application: [application.rebate],
        requirements=REQUIREMENTS,
        requirement_words=lambda: {"receipt": _("the receipt"), "photo": _("photos"), "other": _("other documents")},
        missing_documents=applying.missing_documents, check_submit=applying.check_submit, evaluate=applying.evaluate,
        grant=applying.grant, decided=applying.decided, letter_context=letter_context,
        # one-to-one: joined into the list's own statement, so lists cost no more statements than before
        list_load=lambda: (joinedload(Application.rebate).joinedload(RebateApplication.program),),
        panel="review/_rebate_panel.html", panel_context=panel_context,
        queue_filters={"program": _program_filter},
        customer_page=customer_page, create=create, update=update, attach=applying.attach, present=present,
        before_decision=applying.before_decision, withdrawn=applying.withdrawn, closed=applying.closed))
