"""Reading CIS files (CSV or XLSX) and applying them all-or-nothing.

An import streams the file once, checking every row and writing in chunks inside the caller's
transaction. Any bad row stops the writing; the caller rolls back, so nothing of that file is
applied, and the command names each bad line (the header is line 1) and field.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from accounts import rules
from accounts.models import Account, AccountClosure, Bill, ImportRun
from core import audit, clock
from core.audit import current_actor
from core.tabular import FileRefused, LineError, file_sha256, read_rows

# The one "file refused, every bad line named" error (core.tabular), by the name this module has used.
ImportFailed = FileRefused
__all__ = ("ImportFailed", "LineError", "read_rows")

CHUNK = 5_000
MAX_REPORTED_ERRORS = 50


@dataclass
class ImportResult:
    run: ImportRun
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: list[str] = field(default_factory=list)


def _start_run(session: Session, kind: str, path: Path) -> ImportRun:
    run = ImportRun(kind=kind, filename=path.name[:300], sha256=file_sha256(path), started_at=clock.now(),
                    actor_label=current_actor().label, rows=0, created=0, updated=0, unchanged=0)
    session.add(run)
    session.flush()
    return run


def _check_header(header: list[str], required: tuple[str, ...]) -> None:
    missing = rules.missing_columns(header, required)
    if missing:
        raise ImportFailed([LineError(1, name, "column is missing from the header") for name in missing])


_ACCOUNT_FIELDS = ("customer_name", "service_address", "city", "zip", "services", "status", "meter_type",
                   "last_bill_amount_cents")


def import_accounts(session: Session, path: Path) -> ImportResult:
    with read_rows(path) as (header, rows):
        return _import_accounts(session, path, header, rows)


def _import_accounts(session: Session, path: Path, header: list[str], rows) -> ImportResult:
    _check_header(header, rules.ACCOUNT_COLUMNS)
    run = _start_run(session, "accounts", path)
    result = ImportResult(run=run)
    errors: list[LineError] = []
    seen: dict[str, int] = {}
    chunk: list[tuple[int, rules.AccountRow]] = []
    now = clock.now()

    def flush_chunk():
        numbers = [r.number for _l, r in chunk]
        existing = {a.number: a for a in session.execute(
            select(Account.id, Account.number, *[getattr(Account, f) for f in _ACCOUNT_FIELDS])
            .where(Account.number.in_(numbers))).all()}
        inserts, updates = [], []
        for _line, row in chunk:
            values = {f: getattr(row, f) for f in _ACCOUNT_FIELDS}
            old = existing.get(row.number)
            if old is None:
                inserts.append({"number": row.number, **values, "updated_at": now, "updated_by_import_id": run.id})
            elif any(getattr(old, f) != values[f] for f in _ACCOUNT_FIELDS):
                updates.append({"id": old.id, **values, "updated_at": now, "updated_by_import_id": run.id})
                if old.status == "active" and row.status == "closed":
                    result.closed.append(row.number)
                    session.add(AccountClosure(account_id=old.id, import_run_id=run.id, closed_at=now))
            else:
                result.unchanged += 1
        if inserts:
            session.execute(insert(Account), inserts)
        if updates:
            session.execute(update(Account), updates)
        result.created += len(inserts)
        result.updated += len(updates)
        chunk.clear()

    for line, raw in rows:
        result.rows += 1
        try:
            row = rules.read_account_row(raw)
        except rules.RowError as exc:
            errors.append(LineError(line, exc.field, exc.message))
        else:
            if row.number in seen:
                errors.append(LineError(line, "account_number",
                                        f"{row.number} is already on line {seen[row.number]}"))
            seen[row.number] = line
            if not errors:
                chunk.append((line, row))
                if len(chunk) >= CHUNK:
                    flush_chunk()
        if len(errors) >= MAX_REPORTED_ERRORS:
            break
    if errors:
        raise ImportFailed(errors)
    if chunk:
        flush_chunk()
    _finish(session, run, result, "accounts.imported")
    return result


_BILL_FIELDS = ("account_id", "period_start", "period_end", "service", "charges_cents", "cancels_bill_id")


def import_bills(session: Session, path: Path) -> ImportResult:
    with read_rows(path) as (header, rows):
        return _import_bills(session, path, header, rows)


def _import_bills(session: Session, path: Path, header: list[str], rows) -> ImportResult:
    _check_header(header, rules.BILL_COLUMNS)
    run = _start_run(session, "bills", path)
    result = ImportResult(run=run)
    errors: list[LineError] = []
    in_file: dict[str, tuple[int, int]] = {}  # bill_id -> (line, account_id)
    chunk: list[tuple[int, rules.BillRow]] = []
    account_ids: dict[str, int] = {}

    def account_id_for(numbers: set[str]) -> None:
        unknown = [n for n in numbers if n not in account_ids]
        for start in range(0, len(unknown), 1000):
            part = unknown[start:start + 1000]
            for number, account_id in session.execute(select(Account.number, Account.id).where(Account.number.in_(part))):
                account_ids[number] = account_id

    def flush_chunk():
        account_id_for({r.account_number for _l, r in chunk})
        wanted = {r.bill_id for _l, r in chunk} | {r.cancels_bill_id for _l, r in chunk if r.cancels_bill_id}
        existing = {b.bill_id: b for b in session.execute(
            select(Bill.bill_id, *[getattr(Bill, f) for f in _BILL_FIELDS]).where(Bill.bill_id.in_(wanted))).all()}
        inserts = []
        for line, row in chunk:
            account_id = account_ids.get(row.account_number)
            if account_id is None:
                errors.append(LineError(line, "account_number", f"no account {row.account_number}; import accounts first"))
                continue
            if row.cancels_bill_id:
                target = existing.get(row.cancels_bill_id)
                target_account = target.account_id if target else in_file.get(row.cancels_bill_id, (0, None))[1]
                if target_account is None:
                    errors.append(LineError(line, "cancels_bill_id", f"no bill {row.cancels_bill_id} to cancel"))
                    continue
                if target_account != account_id:
                    errors.append(LineError(line, "cancels_bill_id",
                                            f"bill {row.cancels_bill_id} belongs to another account"))
                    continue
            values = {"account_id": account_id, "period_start": row.period_start, "period_end": row.period_end,
                      "service": row.service, "charges_cents": row.charges_cents, "cancels_bill_id": row.cancels_bill_id}
            old = existing.get(row.bill_id)
            if old is not None:
                if any(getattr(old, f) != values[f] for f in _BILL_FIELDS):
                    errors.append(LineError(line, "bill_id", f"bill {row.bill_id} was imported before with other "
                                                             "values; send a cancel and rebill instead"))
                else:
                    result.unchanged += 1
                continue
            inserts.append({"bill_id": row.bill_id, **values, "import_run_id": run.id})
            in_file[row.bill_id] = (line, account_id)
        if inserts and not errors:
            session.execute(insert(Bill), inserts)
            result.created += len(inserts)
        chunk.clear()

    seen_lines: dict[str, int] = {}
    for line, raw in rows:
        result.rows += 1
        try:
            row = rules.read_bill_row(raw)
        except rules.RowError as exc:
            errors.append(LineError(line, exc.field, exc.message))
        else:
            if row.bill_id in seen_lines:
                errors.append(LineError(line, "bill_id", f"{row.bill_id} is already on line {seen_lines[row.bill_id]}"))
            else:
                seen_lines[row.bill_id] = line
                if row.cancels_bill_id and row.cancels_bill_id in seen_lines and chunk:
                    flush_chunk()  # the cancelled bill must be known before its rebill is checked
                chunk.append((line, row))
                if len(chunk) >= CHUNK:
                    flush_chunk()
        if len(errors) >= MAX_REPORTED_ERRORS:
            break
    if chunk and not errors:
        flush_chunk()
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: e.line))
    _finish(session, run, result, "bills.imported")
    return result


def _finish(session: Session, run: ImportRun, result: ImportResult, action: str) -> None:
    run.rows, run.created, run.updated, run.unchanged = result.rows, result.created, result.updated, result.unchanged
    run.finished_at = clock.now()
    audit.record(session, action, obj=run, reason=f"file {run.filename}",
                 details={"rows": result.rows, "created": result.created, "updated": result.updated,
                          "unchanged": result.unchanged, "closed": result.closed[:100], "sha256": run.sha256})
    session.flush()
    if result.closed:
        from flask import current_app

        from core.events import accounts_imported

        accounts_imported.send(current_app._get_current_object(), session=session, run=run)
