"""Paying approved rebates: a bill credit through the account ledger, or a check through a batch
file for accounts payable; and the W-9 hold before reportable payments.

What the rebate kind calls on approval: `create_payment(...)` (after `budgets.commit`). Then:
- bill credit: one ledger entry of kind `rebate` (idempotency key per application) goes out in the
  credit files (`sent` once in one, `on_credits_exported`); `credits ack` accepting it makes the payment `paid` (and the budget's money paid),
  refusing it makes it `refused` (`on_credits_acknowledged`, connected at start-up).
- check: `export_checks` puts every pending check into one batch (`sent`); `acknowledge_checks`
  reads accounts payable's answer: `issued` is `paid` with the check number, `rejected` is `refused`.
A payment waits as `needs_w9` while the customer's reportable rebates in the calendar year reach
`REBATE_1099_THRESHOLD` and no W-9 is on file; `record_w9` lets it go.
Each function flushes, never commits.
"""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from accounts import rules as account_rules
from accounts import service as accounts
from accounts.models import Account, CreditBatchItem
from auth.models import User
from core import audit, clock, crypto, tabular
from core.audit import current_actor
from core.errors import Conflict, Invalid, NotFound
from core.money import parse_dollars
from rebates import budgets, rules
from rebates.models import RebatePayment, RebatePaymentBatch, RebateProgram, RebateW9

ADDRESS_FIELDS = ("name", "line1", "line2", "city", "state", "zip")


def threshold_cents() -> int:
    return parse_dollars(str(current_app.config.get("REBATE_1099_THRESHOLD") or "2000.00"), allow_negative=False)


def idempotency_key(application_id: int) -> str:
    return f"rebate:application:{application_id}"


def year_total_cents(session: Session, customer_id: int, year: int) -> int:
    """Reportable rebates to one customer in a calendar year (everything not refused)."""
    return int(session.scalar(select(func.coalesce(func.sum(RebatePayment.amount_cents), 0)).where(
        RebatePayment.customer_id == customer_id, RebatePayment.tax_year == year, RebatePayment.reportable.is_(True),
        RebatePayment.status != "refused")) or 0)


def w9_on_file(session: Session, customer_id: int) -> RebateW9 | None:
    return session.scalar(select(RebateW9).where(RebateW9.customer_id == customer_id))


def live_payment(session: Session, application_id: int) -> RebatePayment | None:
    """The application's payment that is not refused (at most one: a refused one may be paid again)."""
    return session.scalar(select(RebatePayment).where(RebatePayment.application_id == application_id,
                                                      RebatePayment.status != "refused").limit(1))


def latest_payment(session: Session, application_id: int) -> RebatePayment | None:
    return session.scalar(select(RebatePayment).where(RebatePayment.application_id == application_id)
                          .order_by(RebatePayment.id.desc()).limit(1))


def create_payment(session: Session, application_id: int, *, program: RebateProgram, account: Account,
                   customer_id: int, method: str, cents: int, mailing_address: dict | None = None,
                   on_date: date | None = None) -> RebatePayment:
    """The payment of an approved rebate; a bill credit is posted at once unless it waits for a W-9."""
    if method not in ("bill_credit", "check"):
        raise Invalid(_("Choose a bill credit or a check."), fields={"method": [_("Choose a bill credit or a check.")]})
    if cents <= 0:
        raise Invalid(_("The amount must be more than zero."), fields={"amount": [_("The amount must be more than zero.")]})
    address = {k: ((mailing_address or {}).get(k) or "").strip() for k in ADDRESS_FIELDS}
    if method == "check":
        missing = {k: [_("Required for a check.")] for k in ("name", "line1", "city", "state", "zip") if not address[k]}
        if missing:
            raise Invalid(_("A check needs the payee and the mailing address."),
                          fields={f"mailing_address.{k}": v for k, v in missing.items()})
    if session.scalar(select(RebatePayment.id).where(RebatePayment.application_id == application_id,
                                                     RebatePayment.status != "refused")):
        raise Conflict(_("This application already has a payment."))
    day = on_date or clock.today()
    total = year_total_cents(session, customer_id, day.year) + cents
    status = "needs_w9" if rules.needs_w9(total, threshold_cents(), program.tax_reportable,
                                          w9_on_file(session, customer_id) is not None) else "pending"
    now = clock.now()
    payment = RebatePayment(application_id=application_id, program_id=program.id, account_id=account.id,
                            customer_id=customer_id, method=method, amount_cents=cents, tax_year=day.year,
                            reportable=program.tax_reportable, status=status, created_at=now, updated_at=now)
    if method == "check":
        payment.payee_name, payment.address_line1 = address["name"], address["line1"]
        payment.address_line2 = address["line2"] or None
        payment.city, payment.state, payment.zip = address["city"], address["state"].upper(), address["zip"]
    session.add(payment)
    session.flush()
    audit.record(session, "rebate_payment.created", obj=payment,
                 details={"application_id": application_id, "method": method, "amount_cents": cents,
                          "status": status, "year_total_cents": total})
    if status == "pending" and method == "bill_credit":
        post_bill_credit(session, payment)
    return payment


def reissue(session: Session, refused: RebatePayment, *, method: str, mailing_address: dict | None = None,
            reason: str) -> RebatePayment:
    """A CSR pays a refused rebate again (a new check, or by check instead of a refused bill credit).

    The refused row stays as it was. A refused bill credit must first be reversed on the account
    (`accounts` "reverse" on the rejected credit), or be sent again there instead.
    """
    if refused.status != "refused":
        raise Conflict(_("Only a refused payment can be paid again."))
    if refused.method == "bill_credit":
        item = session.scalar(select(CreditBatchItem).where(CreditBatchItem.entry_id == refused.ledger_entry_id)
                              .order_by(CreditBatchItem.id.desc()).limit(1))
        if item is None or item.resolution != "reversed":
            raise Conflict(_("Reverse the refused bill credit on the account first, or send it again there."))
    if not (reason or "").strip():
        raise Invalid(_("Say why."), fields={"reason": [_("Say why.")]})
    payment = create_payment(session, refused.application_id, program=refused.program,
                             account=session.get(Account, refused.account_id), customer_id=refused.customer_id,
                             method=method, cents=refused.amount_cents, mailing_address=mailing_address,
                             on_date=clock.today())
    audit.record(session, "rebate_payment.reissued", obj=payment, reason=reason, details={"refused": refused.id})
    return payment


def _credit_key(session: Session, payment: RebatePayment) -> str:
    """One key per application; a payment made after a refused one gets its own, so it is not taken
    for the refused credit."""
    earlier = session.scalar(select(func.count()).select_from(RebatePayment).where(
        RebatePayment.application_id == payment.application_id, RebatePayment.id < payment.id))
    key = idempotency_key(payment.application_id)
    return key if not earlier else f"{key}:payment:{payment.id}"


def post_bill_credit(session: Session, payment: RebatePayment) -> RebatePayment:
    """Post the rebate on the account's ledger once: a second call finds the entry already posted."""
    if payment.method != "bill_credit":
        raise Conflict(_("This rebate is paid by check."))
    if payment.status == "needs_w9":
        raise Conflict(_("This payment waits for a W-9."))
    account = session.get(Account, payment.account_id)
    entry, _posted = accounts.post_entry(
        session, account=account, amount_cents=payment.amount_cents, kind="rebate",
        idempotency_key=_credit_key(session, payment), source_type="rebate_application",
        source_id=payment.application_id, reason=f"{payment.program.code} rebate, application {payment.application_id}")
    payment.ledger_entry_id, payment.reference, payment.updated_at = entry.id, str(entry.id), clock.now()
    session.flush()
    return payment


def _mark(session: Session, payment: RebatePayment, status: str, *, reference: str | None = None,
          reason: str | None = None) -> None:
    before = payment.status
    payment.status, payment.updated_at = status, clock.now()
    if reference is not None:
        payment.reference = reference
    if reason is not None:
        payment.reason = reason
    if status == "paid":
        payment.paid_on = clock.today()
        budgets.pay(session, payment.application_id, payment.amount_cents)
    audit.record(session, f"rebate_payment.{status}", obj=payment, reason=reason,
                 details={"from": before, "reference": payment.reference, "amount_cents": payment.amount_cents})
    if status == "paid":
        _paid_letter(session, payment)


def _paid_letter(session: Session, payment: RebatePayment) -> None:
    """The customer is told how and when the rebate reached them (by post without a login)."""
    from applications import service as lifecycle
    from applications.models import Application

    application = session.get(Application, payment.application_id)
    if application is not None and application.kind == "rebate" and application.rebate is not None:
        lifecycle.send_notice(session, application, "rebate_paid", program=application.rebate)


def on_credits_exported(session: Session, batch) -> None:
    """A rebate's bill credit went out in a credit file: `sent` until the billing system answers."""
    rows = session.scalars(select(RebatePayment).join(
        CreditBatchItem, CreditBatchItem.entry_id == RebatePayment.ledger_entry_id).where(
        CreditBatchItem.batch_id == batch.id, RebatePayment.status.in_(("pending", "refused")))).all()
    for payment in rows:
        _mark(session, payment, "sent", reason=f"credit batch {batch.id}")
    session.flush()


def on_credits_acknowledged(session: Session, batch) -> None:
    """`credits ack`: the billing system accepted (paid) or refused (refused) a rebate's bill credit."""
    rows = session.execute(select(RebatePayment, CreditBatchItem).join(
        CreditBatchItem, CreditBatchItem.entry_id == RebatePayment.ledger_entry_id).where(
        CreditBatchItem.batch_id == batch.id)).all()
    for payment, item in rows:
        if item.cis_state == "accepted" and payment.status != "paid":
            _mark(session, payment, "paid")
        elif item.cis_state == "rejected" and payment.status not in ("refused", "paid"):
            _mark(session, payment, "refused", reason=item.cis_reason)
    session.flush()


# --- the W-9 -----------------------------------------------------------------------------------

def record_w9(session: Session, customer_id: int, *, tin: str, legal_name: str, reason: str = "") -> list[RebatePayment]:
    """A CSR records that the customer's W-9 is on file; the payments waiting for it go ahead."""
    digits = rules.tin_digits(tin)
    errors = {}
    if digits is None:
        errors["tin"] = [_("Give the taxpayer ID as nine digits (SSN or EIN).")]
    if not (legal_name or "").strip():
        errors["legal_name"] = [_("Give the name on the W-9.")]
    if errors:
        raise Invalid(_("Some fields are missing or not valid."), fields=errors)
    if session.get(User, customer_id) is None:
        raise NotFound(_("No such customer."))
    actor, now = current_actor(), clock.now()
    w9 = w9_on_file(session, customer_id)
    if w9 is None:
        w9 = RebateW9(customer_id=customer_id)
        session.add(w9)
    w9.tin_encrypted, w9.tin_last4, w9.legal_name = crypto.encrypt_text(digits), digits[-4:], legal_name.strip()
    w9.recorded_at, w9.recorded_by_id, w9.recorded_by_label = now, actor.user_id, actor.label
    session.flush()
    audit.record(session, "rebate_w9.recorded", obj=w9, reason=reason or None,
                 details={"customer_id": customer_id, "tin_last4": w9.tin_last4})
    waiting = list(session.scalars(select(RebatePayment).where(RebatePayment.customer_id == customer_id,
                                                               RebatePayment.status == "needs_w9")
                                   .order_by(RebatePayment.id)))
    for payment in waiting:
        _mark(session, payment, "pending", reason="W-9 on file")
        if payment.method == "bill_credit":
            post_bill_credit(session, payment)
    session.flush()
    return waiting


# --- check batches -----------------------------------------------------------------------------

def _lock_exports(session: Session) -> None:
    """One export at a time (SQLite already serializes writers with BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(4242016)"))


def export_checks(session: Session, layout: list[list[str]]) -> RebatePaymentBatch | None:
    """Every pending check not yet in a batch, into one new batch; None when nothing waits."""
    _lock_exports(session)
    due = list(session.scalars(select(RebatePayment).where(RebatePayment.method == "check",
                                                           RebatePayment.status == "pending",
                                                           RebatePayment.batch_id.is_(None))
                               .order_by(RebatePayment.id)))
    if not due:
        return None
    batch = RebatePaymentBatch(created_at=clock.now(), created_by_label=current_actor().label, layout=layout,
                               payment_count=len(due), total_cents=sum(p.amount_cents for p in due), csv_sha256="")
    session.add(batch)
    session.flush()
    for line, payment in enumerate(due, start=1):
        payment.batch_id, payment.batch_line = batch.id, line
        _mark(session, payment, "sent", reason=f"batch {batch.id}")
    session.flush()
    batch.csv_sha256 = hashlib.sha256(render_csv(session, batch)).hexdigest()
    audit.record(session, "rebate_payments.exported", obj=batch,
                 details={"payments": batch.payment_count, "total_cents": batch.total_cents})
    session.flush()
    return batch


def get_batch(session: Session, batch_id: int) -> RebatePaymentBatch:
    batch = session.get(RebatePaymentBatch, batch_id)
    if batch is None:
        raise NotFound(_("No such payment batch."))
    return batch


def _batch_rows(session: Session, batch: RebatePaymentBatch) -> list[dict]:
    rows = session.execute(select(RebatePayment, Account.number, RebateProgram.code)
                           .join(Account, Account.id == RebatePayment.account_id)
                           .join(RebateProgram, RebateProgram.id == RebatePayment.program_id)
                           .where(RebatePayment.batch_id == batch.id).order_by(RebatePayment.batch_line)).all()
    return [{"payment_id": p.id, "payee": p.payee_name,
             "address": " ".join(part for part in (p.address_line1, p.address_line2) if part),
             "city": p.city, "state": p.state, "zip": p.zip, "amount": account_rules.dollars_text(p.amount_cents),
             "amount_cents": p.amount_cents, "application": p.application_id, "program": code,
             "account_number": number, "batch_id": batch.id} for p, number, code in rows]


def _cell(field: str, value):
    if field in rules.NUMERIC_PAYMENT_FIELDS:
        return value
    if field in rules.IDENTIFIER_PAYMENT_FIELDS:
        return tabular.clean_text(value)
    return tabular.safe_cell(value)


def render_csv(session: Session, batch: RebatePaymentBatch) -> bytes:
    """The file for accounts payable, in the batch's own layout; formula-looking text written as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([tabular.safe_cell(header) for header, _f in batch.layout])
    for row in _batch_rows(session, batch):
        writer.writerow([_cell(f, row[f]) for _h, f in batch.layout])
    return buffer.getvalue().encode("utf-8")


def render_xlsx(session: Session, batch: RebatePaymentBatch) -> bytes:
    """The same batch as a workbook for people; identical bytes every time it is made."""
    from decimal import Decimal

    header = [tabular.clean_text(header) for header, _f in batch.layout]
    rows = [[Decimal(row[f]) if f == "amount" else tabular.clean_text(row[f]) if isinstance(row[f], str) else row[f]
             for _h, f in batch.layout] for row in _batch_rows(session, batch)]
    return tabular.write_xlsx(f"Batch {batch.id}", header, rows, batch.created_at)


@dataclass
class AckResult:
    issued: int = 0
    rejected: int = 0
    unchanged: int = 0


class AckFailed(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors[:5]))
        self.errors = errors


ACK_COLUMNS = ("payment_id", "status", "check_number", "reason")


def acknowledge_checks(session: Session, batch: RebatePaymentBatch, rows) -> AckResult:
    """Accounts payable's answer (payment_id, status issued|rejected, check_number, reason), all or nothing."""
    payments = {p.id: p for p in session.scalars(select(RebatePayment).where(RebatePayment.batch_id == batch.id))}
    errors, updates, seen = [], [], set()
    for line, row in rows:
        raw_id = (row.get("payment_id") or "").strip()
        status = (row.get("status") or "").strip().lower()
        number = (row.get("check_number") or "").strip() or None
        reason = (row.get("reason") or "").strip() or None
        if not raw_id.isdigit() or int(raw_id) not in payments:
            errors.append(f"line {line}, payment_id: {raw_id!r} is not in batch {batch.id}")
            continue
        if int(raw_id) in seen:
            errors.append(f"line {line}, payment_id: {raw_id} is on more than one line")
            continue
        seen.add(int(raw_id))
        payment = payments[int(raw_id)]
        if status not in ("issued", "rejected"):
            errors.append(f"line {line}, status: {status!r} is not issued or rejected")
        elif status == "issued" and not number:
            errors.append(f"line {line}, check_number: an issued check needs its number")
        elif status == "issued" and number and len(number) > 64:
            errors.append(f"line {line}, check_number: longer than 64 characters")
        elif status == "rejected" and not reason:
            errors.append(f"line {line}, reason: a rejected payment needs accounts payable's reason")
        elif payment.status == "paid" and (status != "issued" or payment.reference != number):
            errors.append(f"line {line}, status: payment {payment.id} was already issued as check {payment.reference}")
        elif payment.status == "refused" and status != "rejected":
            errors.append(f"line {line}, status: payment {payment.id} was already rejected")
        else:
            updates.append((payment, status, number, reason))
    if errors:
        raise AckFailed(errors)
    result = AckResult()
    for payment, status, number, reason in updates:
        if payment.status in ("paid", "refused"):
            result.unchanged += 1
        elif status == "issued":
            _mark(session, payment, "paid", reference=number)
            result.issued += 1
        else:
            _mark(session, payment, "refused", reason=reason)
            result.rejected += 1
    batch.acked_at = clock.now()
    audit.record(session, "rebate_payments.acknowledged", obj=batch,
                 details={"issued": result.issued, "rejected": result.rejected, "unchanged": result.unchanged})
    session.flush()
    return result


# --- tax reporting -----------------------------------------------------------------------------

TAX_REPORT_HEADER = ("CUSTOMER_ID", "NAME", "EMAIL", "TIN_LAST4", "W9_ON_FILE", "PAYMENTS", "TOTAL")


def tax_report(session: Session, year: int) -> list[dict]:
    """Payees whose reportable rebates paid in the calendar year reach the threshold (for the 1099s)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    totals = session.execute(select(RebatePayment.customer_id, func.count(), func.sum(RebatePayment.amount_cents))
                             .where(RebatePayment.status == "paid", RebatePayment.reportable.is_(True),
                                    RebatePayment.paid_on >= first, RebatePayment.paid_on <= last)
                             .group_by(RebatePayment.customer_id)
                             .having(func.sum(RebatePayment.amount_cents) >= threshold_cents())
                             .order_by(RebatePayment.customer_id)).all()
    out = []
    for customer_id, count, total in totals:
        user, w9 = session.get(User, customer_id), w9_on_file(session, customer_id)
        name = w9.legal_name if w9 else session.scalar(
            select(Account.customer_name).join(RebatePayment, RebatePayment.account_id == Account.id)
            .where(RebatePayment.customer_id == customer_id).order_by(RebatePayment.id).limit(1))
        out.append({"customer_id": customer_id, "name": name, "email": user.email if user else "",
                    "tin_last4": w9.tin_last4 if w9 else "", "w9_on_file": "yes" if w9 else "no",
                    "payments": int(count), "total": account_rules.dollars_text(int(total))})
    audit.record(session, "rebate_payments.tax_report", details={"year": year, "payees": len(out)})
    return out


def render_tax_report(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(TAX_REPORT_HEADER)
    for row in rows:
        writer.writerow([row["customer_id"], tabular.safe_cell(row["name"]), tabular.safe_cell(row["email"]),
                         row["tin_last4"], row["w9_on_file"], row["payments"], row["total"]])
    return buffer.getvalue().encode("utf-8")


def init_payments(app) -> None:
    from core.events import credits_acknowledged, credits_exported

    credits_exported.connect(on_credits_exported, weak=False)
    credits_acknowledged.connect(on_credits_acknowledged, weak=False)
