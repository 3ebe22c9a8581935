"""Account operations: linking a login to an account, the credit ledger, adjustments, credit files.

Each function takes the caller's session and flushes; the request or command commits once.
"""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from accounts import rules
from accounts.models import (Account, AccountLink, AdjustmentRequest, CreditBatch, CreditBatchItem,
                             LedgerEntry)
from core import audit, clock, tabular
from core.audit import current_actor
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.database import lock_for_change

DEFAULT_APPROVAL_LIMIT_CENTS = 50_000


# --- accounts and links ------------------------------------------------------------------------

def get_account(session: Session, number: str) -> Account:
    account = session.scalar(select(Account).where(Account.number == (number or "").strip()))
    if account is None:
        raise NotFound(_("No such account."))
    return account


def linked_accounts(session: Session, user_id: int) -> list[Account]:
    return list(session.scalars(select(Account).join(AccountLink, AccountLink.account_id == Account.id)
                                .where(AccountLink.user_id == user_id).order_by(Account.number)))


def is_linked(session: Session, user_id: int, account_id: int) -> bool:
    return bool(session.scalar(select(exists().where(AccountLink.user_id == user_id,
                                                     AccountLink.account_id == account_id))))


def account_for(session: Session, user, number: str) -> Account:
    """The account as this person may see it: staff see all, customers only those linked to them.

    Anything else is 'not found', so a customer cannot learn which numbers exist.
    """
    account = session.scalar(select(Account).where(Account.number == (number or "").strip()))
    if account is None or (not user.is_staff and not is_linked(session, user.id, account.id)):
        raise NotFound(_("No such account."))
    return account


PROOF_FAILED = "We could not match those details to an account. Check them against your latest bill and try again."


def link_by_proof(session: Session, user, number: str, zip_code: str, last_bill_cents: int) -> Account:
    """A customer proves they hold an account by its number, service ZIP and last bill amount."""
    account = session.scalar(select(Account).where(Account.number == (number or "").strip()))
    if account is None or not rules.proof_matches(account.zip, account.last_bill_amount_cents, zip_code, last_bill_cents):
        audit.record(session, "account.link_failed", object_type="accounts", object_id=(number or "")[:64])
        raise Invalid(_(PROOF_FAILED))
    _link(session, user.id, account, "proof", None)
    return account


def link_by_staff(session: Session, staff_user, customer, account: Account, reason: str) -> None:
    if customer.role != "customer":
        raise Invalid(_("Only customer logins can be linked to accounts."))
    _link(session, customer.id, account, "staff", staff_user.id, reason)


def _link(session: Session, user_id: int, account: Account, method: str, by: int | None, reason: str | None = None) -> None:
    if is_linked(session, user_id, account.id):
        return
    session.add(AccountLink(user_id=user_id, account_id=account.id, linked_at=clock.now(), method=method,
                            linked_by_id=by))
    audit.record(session, "account.linked", obj=account, reason=reason,
                 details={"user_id": user_id, "method": method})
    session.flush()


# --- the ledger --------------------------------------------------------------------------------

def post_entry(session: Session, *, account: Account, amount_cents: int, kind: str, idempotency_key: str,
               reason: str, source_type: str | None = None, source_id=None, period_start=None, period_end=None,
               reason_code: str | None = None, reverses: LedgerEntry | None = None) -> tuple[LedgerEntry, bool]:
    """Append an entry once per idempotency key; a repeat returns the entry already posted.

    The unique key is the guarantee: two processes posting the same credit at once both try to
    insert, the database lets one through, and the other gets the first one's entry back.
    """
    if amount_cents == 0:
        raise Invalid(_("The amount cannot be zero."))
    existing = session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == idempotency_key))
    if existing is not None:
        return _same_or_conflict(existing, account, amount_cents), False
    actor = current_actor()
    entry = LedgerEntry(account_id=account.id, amount_cents=amount_cents, kind=kind, idempotency_key=idempotency_key,
                        source_type=source_type, source_id=None if source_id is None else str(source_id),
                        period_start=period_start, period_end=period_end, reason_code=reason_code, reason=reason,
                        reverses_id=reverses.id if reverses else None, created_at=clock.now(),
                        created_by_id=actor.user_id, created_by_label=actor.label)
    savepoint = session.begin_nested()
    try:
        session.add(entry)
        session.flush()
    except IntegrityError:
        savepoint.rollback()
        existing = session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == idempotency_key))
        if existing is None:
            raise
        return _same_or_conflict(existing, account, amount_cents), False
    savepoint.commit()
    audit.record(session, f"credit.posted.{kind}", obj=entry, reason=reason,
                 details={"account": account.number, "amount_cents": amount_cents, "key": idempotency_key})
    return entry, True


def post_entries(session: Session, entries: list[dict]) -> tuple[int, int]:
    """Many credits at once (dicts of account_id, amount_cents, kind, idempotency_key, reason, source and
    period), each once per idempotency key: keys already posted are skipped. How many were posted, and their sum.

    Each posted entry gets its audit record (`credit.posted.KIND`), written by the database."""
    from core.bulk import insert_new

    actor, now = current_actor(), clock.now()
    defaults = {"reason_code": None, "reverses_id": None, "source_type": None, "source_id": None,
                "period_start": None, "period_end": None}
    stamp = {"created_at": now, "created_by_id": actor.user_id, "created_by_label": actor.label}
    by_kind: dict[str, list[dict]] = {}
    for entry in entries:
        if entry["amount_cents"] == 0:
            raise Invalid(_("The amount cannot be zero."))
        by_kind.setdefault(entry["kind"], []).append({**defaults, **entry, **stamp})
    posted = cents = 0
    for kind, rows in by_kind.items():
        audit_of = audit.OfNewRows(f"credit.posted.{kind}", "ledger_entries", reason="reason",
                                   details={"account_id": "account_id", "amount_cents": "amount_cents",
                                            "key": "idempotency_key"})
        amounts = insert_new(session, LedgerEntry, rows, ["idempotency_key"], ["amount_cents"], audit=audit_of)
        posted += len(amounts)
        cents += sum(amount for (amount,) in amounts)
    return posted, cents


def _same_or_conflict(existing: LedgerEntry, account: Account, amount_cents: int) -> LedgerEntry:
    if existing.account_id != account.id or existing.amount_cents != amount_cents:
        raise Conflict(_("A different credit was already posted under this key."))
    return existing


def reversed_so_far(session: Session, entry: LedgerEntry) -> list[int]:
    return list(session.scalars(select(LedgerEntry.amount_cents).where(LedgerEntry.reverses_id == entry.id)))


def reverse_entry(session: Session, entry_id: int, *, reason: str, amount_cents: int | None = None,
                  idempotency_key: str | None = None) -> LedgerEntry:
    """Reverse all or part of an entry, never more than is left of it."""
    if not (reason or "").strip():
        raise Invalid(_("Give a reason for the reversal."), fields={"reason": [_("Give a reason for the reversal.")]})
    # Lock the original so two reversals at once cannot both take what remains.
    lock_for_change(session, "ledger_entries", entry_id)
    entry = session.scalar(select(LedgerEntry).where(LedgerEntry.id == entry_id))
    if entry is None:
        raise NotFound(_("No such ledger entry."))
    if entry.kind == "reversal":
        raise Invalid(_("A reversal cannot itself be reversed; post an adjustment instead."))
    previous = reversed_so_far(session, entry)
    try:
        amount = rules.reversal_amount(entry.amount_cents, amount_cents, previous)
    except ValueError:
        remaining = rules.reversible_cents(entry.amount_cents, previous)
        from core.money import format_dollars

        raise Invalid(_("Only %(amount)s of this entry is left to reverse.", amount=format_dollars(remaining)),
                      fields={"amount": [_("Only %(amount)s of this entry is left to reverse.",
                                           amount=format_dollars(remaining))]}) from None
    key = idempotency_key or f"reversal:{entry.id}:{len(previous) + 1}"
    reversal, _created = post_entry(session, account=entry.account, amount_cents=amount, kind="reversal",
                                    idempotency_key=key, reason=reason.strip(), source_type="ledger_entry",
                                    source_id=entry.id, period_start=entry.period_start, period_end=entry.period_end,
                                    reason_code=entry.reason_code, reverses=entry)
    return reversal


@dataclass
class LedgerLine:
    entry: LedgerEntry
    running_total_cents: int
    cis_state: str | None
    cis_reason: str | None
    batch_id: int | None
    reversible_cents: int


def ledger(session: Session, account: Account) -> list[LedgerLine]:
    """The account's entries, oldest first, with running totals and what the CIS said of each."""
    entries = list(session.scalars(select(LedgerEntry).where(LedgerEntry.account_id == account.id)
                                   .order_by(LedgerEntry.id)))
    ids = [e.id for e in entries]
    states: dict[int, CreditBatchItem] = {}
    reversed_by: dict[int, list[int]] = {}
    if ids:
        for item in session.scalars(select(CreditBatchItem).where(CreditBatchItem.entry_id.in_(ids))
                                    .order_by(CreditBatchItem.id)):
            states[item.entry_id] = item  # the latest item wins
        for e in entries:
            if e.reverses_id:
                reversed_by.setdefault(e.reverses_id, []).append(e.amount_cents)
    totals = rules.running_totals([e.amount_cents for e in entries])
    lines = []
    for entry, total in zip(entries, totals):
        item = states.get(entry.id)
        left = 0 if entry.kind == "reversal" else rules.reversible_cents(entry.amount_cents, reversed_by.get(entry.id, []))
        lines.append(LedgerLine(entry, total, item.cis_state if item else None, item.cis_reason if item else None,
                                item.batch_id if item else None, left))
    return lines


# --- adjustments -------------------------------------------------------------------------------

def approval_limit_cents() -> int:
    return int(current_app.config.get("ADJUSTMENT_APPROVAL_LIMIT_CENTS", DEFAULT_APPROVAL_LIMIT_CENTS))


def _lock_account(session: Session, account: Account) -> None:
    """Requests on one account one at a time, so two at once cannot both fit under the day's limit."""
    session.execute(select(Account.id).where(Account.id == account.id).with_for_update())


def posted_without_approval_cents(session: Session, account: Account, user) -> int:
    """What `user` posted on `account` today (the utility's business day) without a manager, in absolute cents."""
    start, end = rules.business_day_bounds(clock.today(), clock.clock().tz)
    amounts = session.scalars(select(AdjustmentRequest.amount_cents).where(
        AdjustmentRequest.account_id == account.id, AdjustmentRequest.requested_by_id == user.id,
        AdjustmentRequest.kind == "adjustment", AdjustmentRequest.status == "approved",
        AdjustmentRequest.decided_by_id == AdjustmentRequest.requested_by_id,
        AdjustmentRequest.requested_at >= start, AdjustmentRequest.requested_at < end))
    return sum(abs(a) for a in amounts)


def request_adjustment(session: Session, *, account: Account, amount_cents: int, reason_code: str, note: str,
                       requested_by) -> AdjustmentRequest:
    """A manual credit (positive) or charge-back (negative); it waits for a manager when it, with what the
    same person already posted on the account today without one, is over the approval limit."""
    errors: dict[str, list[str]] = {}
    if reason_code not in rules.ADJUSTMENT_REASONS:
        errors["reason_code"] = [_("Choose a reason.")]
    if not (note or "").strip():
        errors["note"] = [_("Explain the adjustment; the customer may ask.")]
    if amount_cents == 0:
        errors["amount"] = [_("The amount cannot be zero.")]
    if errors:
        raise Invalid(_("The adjustment is not complete."), fields=errors)
    _lock_account(session, account)
    today_cents = posted_without_approval_cents(session, account, requested_by)
    request = AdjustmentRequest(account_id=account.id, amount_cents=amount_cents, reason_code=reason_code,
                                note=note.strip(), status="pending", requested_at=clock.now(),
                                requested_by_id=requested_by.id, kind="adjustment")
    session.add(request)
    session.flush()
    audit.record(session, "adjustment.requested", obj=request, reason=request.note,
                 details={"account": account.number, "amount_cents": amount_cents, "reason_code": reason_code,
                          "posted_today_cents": today_cents})
    if not rules.needs_approval(amount_cents, approval_limit_cents(), today_cents):
        _approve(session, request, requested_by, None)
    return request


def approved_by_manager(session: Session, entry: LedgerEntry) -> bool:
    """Whether the entry is an adjustment that waited for, and got, a manager's approval."""
    return bool(session.scalar(select(exists().where(
        AdjustmentRequest.ledger_entry_id == entry.id,
        AdjustmentRequest.decided_by_id != AdjustmentRequest.requested_by_id))))


def request_reversal(session: Session, entry_id: int, *, reason: str, amount_cents: int | None,
                     requested_by) -> LedgerEntry | AdjustmentRequest:
    """A person reverses an entry: at once, or, when a manager approved the entry, after the same approval
    (a manager other than the one who asks). Returns the reversal posted or the request waiting."""
    if not (reason or "").strip():
        raise Invalid(_("Give a reason for the reversal."), fields={"reason": [_("Give a reason for the reversal.")]})
    entry = session.get(LedgerEntry, entry_id)
    if entry is None:
        raise NotFound(_("No such ledger entry."))
    if not approved_by_manager(session, entry):
        return reverse_entry(session, entry_id, reason=reason, amount_cents=amount_cents)
    _lock_account(session, entry.account)
    if entry.kind == "reversal":
        raise Invalid(_("A reversal cannot itself be reversed; post an adjustment instead."))
    try:
        amount = rules.reversal_amount(entry.amount_cents, amount_cents, reversed_so_far(session, entry))
    except ValueError:
        return reverse_entry(session, entry_id, reason=reason, amount_cents=amount_cents)  # its message says why
    request = AdjustmentRequest(account_id=entry.account_id, amount_cents=amount,
                                reason_code=entry.reason_code or "correction", note=reason.strip(), status="pending",
                                requested_at=clock.now(), requested_by_id=requested_by.id, kind="reversal",
                                reverses_entry_id=entry.id)
    session.add(request)
    session.flush()
    audit.record(session, "adjustment.requested", obj=request, reason=request.note,
                 details={"account": entry.account.number, "amount_cents": amount, "kind": "reversal",
                          "reverses_entry_id": entry.id})
    return request


def decide_adjustment(session: Session, request_id: int, *, manager, approve: bool, note: str | None) -> AdjustmentRequest:
    request = session.scalar(select(AdjustmentRequest).where(AdjustmentRequest.id == request_id).with_for_update())
    if request is None:
        raise NotFound(_("No such adjustment."))
    if request.status != "pending":
        raise Conflict(_("This adjustment was already decided."))
    if request.requested_by_id == manager.id:
        raise Forbidden(_("Another manager must approve an adjustment you asked for."))
    if approve:
        _approve(session, request, manager, note)
    else:
        if not (note or "").strip():
            raise Invalid(_("Say why the adjustment is rejected."), fields={"note": [_("Say why the adjustment is rejected.")]})
        request.status = "rejected"
        request.decided_at, request.decided_by_id, request.decision_note = clock.now(), manager.id, note.strip()
        audit.record(session, "adjustment.rejected", obj=request, reason=note.strip())
    session.flush()
    return request


def _approve(session: Session, request: AdjustmentRequest, by, note: str | None) -> None:
    request.status = "approved"
    request.decided_at, request.decided_by_id, request.decision_note = clock.now(), by.id, note
    if request.kind == "reversal":
        entry = reverse_entry(session, request.reverses_entry_id, reason=request.note,
                              amount_cents=abs(request.amount_cents), idempotency_key=f"reversal-request:{request.id}")
    else:
        entry, _created = post_entry(
            session, account=request.account, amount_cents=request.amount_cents, kind="adjustment",
            idempotency_key=f"adjustment:{request.id}", reason=request.note, reason_code=request.reason_code,
            source_type="adjustment_request", source_id=request.id)
    request.ledger_entry_id = entry.id
    audit.record(session, "adjustment.approved", obj=request, reason=note,
                 details={"ledger_entry_id": entry.id, "automatic": by.id == request.requested_by_id,
                          "kind": request.kind})


# --- credit files for the CIS ------------------------------------------------------------------

def _lock_exports(session: Session) -> None:
    """One export at a time (SQLite already serializes writers with BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(4242001)"))


def export_credits(session: Session, layout: list[list[str]]) -> CreditBatch | None:
    """Put every entry not yet sent into one new batch; None when there is nothing to send."""
    _lock_exports(session)
    live = select(CreditBatchItem.id).where(CreditBatchItem.entry_id == LedgerEntry.id,
                                            CreditBatchItem.resolution.is_(None))
    due = list(session.scalars(select(LedgerEntry).where(~exists(live)).order_by(LedgerEntry.id)))
    if not due:
        return None
    batch = CreditBatch(created_at=clock.now(), created_by_label=current_actor().label, layout=layout,
                        cell_rules=rules.CELL_RULES, entry_count=len(due), total_cents=sum(e.amount_cents for e in due), csv_sha256="")
    session.add(batch)
    session.flush()
    session.add_all(CreditBatchItem(batch_id=batch.id, entry_id=e.id, line_no=n, cis_state="pending")
                    for n, e in enumerate(due, start=1))
    session.flush()
    batch.csv_sha256 = hashlib.sha256(render_csv(session, batch)).hexdigest()
    audit.record(session, "credits.exported", obj=batch,
                 details={"entries": batch.entry_count, "total_cents": batch.total_cents})
    session.flush()
    from core.events import credits_exported

    credits_exported.send(session, batch=batch)   # e.g. a rebate's bill credit is now sent
    return batch


def _batch_rows(session: Session, batch: CreditBatch) -> list[dict]:
    rows = session.execute(
        select(CreditBatchItem.line_no, LedgerEntry, Account.number)
        .join(LedgerEntry, LedgerEntry.id == CreditBatchItem.entry_id)
        .join(Account, Account.id == LedgerEntry.account_id)
        .where(CreditBatchItem.batch_id == batch.id).order_by(CreditBatchItem.line_no)).all()
    out = []
    for _line, entry, number in rows:
        out.append({
            "entry_id": entry.id, "account_number": number, "amount": rules.dollars_text(entry.amount_cents),
            "amount_cents": entry.amount_cents, "kind": entry.kind, "reason_code": entry.reason_code or "",
            "reason": entry.reason, "period_start": entry.period_start.isoformat() if entry.period_start else "",
            "period_end": entry.period_end.isoformat() if entry.period_end else "",
            "created_on": clock.local_date(entry.created_at).isoformat(),
            "reverses_entry_id": entry.reverses_id or "", "batch_id": batch.id,
        })
    return out


NUMERIC_FIELDS = rules.NUMERIC_CREDIT_FIELDS


def render_csv(session: Session, batch: CreditBatch) -> bytes:
    """The CIS file: the batch's own layout and cell rules; control characters in text become spaces,
    formula-looking text is written as text, identifiers as they are."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([rules.safe_cell(header, batch.cell_rules) for header, _f in batch.layout])
    for row in _batch_rows(session, batch):
        writer.writerow([rules.csv_cell(f, row[f], batch.cell_rules) for _h, f in batch.layout])
    return buffer.getvalue().encode("utf-8")


def render_xlsx(session: Session, batch: CreditBatch) -> bytes:
    """The same batch as a workbook for people; identical bytes every time it is made."""
    from decimal import Decimal

    header = [rules.clean_text(header) if batch.cell_rules >= 2 else header for header, _f in batch.layout]
    rows = []
    for row in _batch_rows(session, batch):
        values = []
        for _h, f in batch.layout:
            value = row[f]
            if f == "amount":
                value = Decimal(value)
            elif isinstance(value, str) and batch.cell_rules >= 2:
                value = rules.clean_text(value)
            values.append(value)
        rows.append(values)
    return tabular.write_xlsx(f"Batch {batch.id}", header, rows, batch.created_at)


def get_batch(session: Session, batch_id: int) -> CreditBatch:
    batch = session.get(CreditBatch, batch_id)
    if batch is None:
        raise NotFound(_("No such credit batch."))
    return batch


@dataclass
class AckResult:
    accepted: int
    rejected: int
    unchanged: int


class AckFailed(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors[:5]))
        self.errors = errors


def acknowledge(session: Session, batch: CreditBatch, rows) -> AckResult:
    """Apply the CIS's result file (entry_id, status, reason), all or nothing."""
    items = {i.entry_id: i for i in session.scalars(select(CreditBatchItem).where(CreditBatchItem.batch_id == batch.id))}
    errors, updates = [], []
    for line, row in rows:
        raw_id = (row.get("entry_id") or "").strip()
        status = (row.get("status") or "").strip().lower()
        reason = (row.get("reason") or "").strip() or None
        if not (raw_id.isascii() and raw_id.isdigit()) or int(raw_id) not in items:
            errors.append(f"line {line}, entry_id: {raw_id!r} is not in batch {batch.id}")
            continue
        if status not in ("accepted", "rejected"):
            errors.append(f"line {line}, status: {status!r} is not accepted or rejected")
            continue
        if status == "rejected" and not reason:
            errors.append(f"line {line}, reason: a rejected entry needs the CIS's reason")
            continue
        updates.append((items[int(raw_id)], status, reason))
    if errors:
        raise AckFailed(errors)
    now = clock.now()
    result = AckResult(0, 0, 0)
    for item, status, reason in updates:
        if item.cis_state == status and item.cis_reason == reason:
            result.unchanged += 1
            continue
        if item.resolution is not None:
            raise AckFailed([f"entry {item.entry_id} was already resolved by a CSR after a rejection"])
        item.cis_state, item.cis_reason, item.acked_at = status, reason, now
        setattr(result, status, getattr(result, status) + 1)
    batch.acked_at = now
    audit.record(session, "credits.acknowledged", obj=batch,
                 details={"accepted": result.accepted, "rejected": result.rejected, "unchanged": result.unchanged})
    session.flush()
    from core.events import credits_acknowledged

    credits_acknowledged.send(session, batch=batch)   # e.g. a rebate paid by bill credit becomes paid or refused
    return result


def rejected_items(session: Session, limit: int = 200) -> list[CreditBatchItem]:
    """Entries the CIS refused that no CSR has dealt with yet."""
    return list(session.scalars(select(CreditBatchItem).where(CreditBatchItem.cis_state == "rejected",
                                                              CreditBatchItem.resolution.is_(None))
                                .options(joinedload(CreditBatchItem.entry).joinedload(LedgerEntry.account))
                                .order_by(CreditBatchItem.acked_at, CreditBatchItem.id).limit(limit)))


def resolve_rejection(session: Session, item_id: int, *, action: str, by, reason: str) -> CreditBatchItem:
    """Send a refused entry again in the next batch, or reverse it."""
    item = session.get(CreditBatchItem, item_id)
    if item is None or item.cis_state != "rejected":
        raise NotFound(_("No such rejected credit."))
    if item.resolution is not None:
        raise Conflict(_("Someone already dealt with this rejected credit."))
    if action == "reverse":
        reverse_entry(session, item.entry_id, reason=reason or _("Refused by the billing system"))
        item.resolution = "reversed"
    elif action == "resend":
        item.resolution = "resend"
    else:
        raise Invalid(_("Choose to send it again or to reverse it."))
    item.resolved_at, item.resolved_by_id = clock.now(), by.id
    audit.record(session, f"credits.rejection_{item.resolution}", obj=item, reason=reason)
    session.flush()
    return item


def pending_adjustments(session: Session) -> list[AdjustmentRequest]:
    return list(session.scalars(select(AdjustmentRequest).where(AdjustmentRequest.status == "pending")
                                .options(joinedload(AdjustmentRequest.account))
                                .order_by(AdjustmentRequest.requested_at)))


def account_totals(session: Session, account: Account) -> int:
    return session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
                          .where(LedgerEntry.account_id == account.id)) or 0
