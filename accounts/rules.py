"""Account rules as plain functions: reading import rows, proving an account, ledger arithmetic,
and writing credit files safely. No Flask, no database."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from core import tabular
from core.money import MoneyError, parse_dollars
from core.tabular import clean_text  # noqa: F401 - the credit files' callers read it here

SERVICES = ("electric", "water", "wastewater", "refuse")
ACCOUNT_COLUMNS = ("account_number", "customer_name", "service_address", "city", "zip", "services", "status",
                   "meter_type", "last_bill_amount")
BILL_COLUMNS = ("account_number", "bill_id", "period_start", "period_end", "service", "charges")
ADJUSTMENT_REASONS = ("leak_adjustment", "lead_copper_credit", "correction", "goodwill", "other")

_ACCOUNT_NUMBER = re.compile(r"^[A-Za-z0-9-]{1,32}$")
_BILL_ID = re.compile(r"^[A-Za-z0-9._-]{1,40}$")
_ZIP = re.compile(r"^(\d{5})(?:-\d{4})?$")


class RowError(ValueError):
    """A bad value in an import file: which field and why (the caller adds the line)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class AccountRow:
    number: str
    customer_name: str
    service_address: str
    city: str
    zip: str
    services: str
    status: str
    meter_type: str
    last_bill_amount_cents: int


@dataclass(frozen=True, slots=True)
class BillRow:
    account_number: str
    bill_id: str
    period_start: date
    period_end: date
    service: str
    charges_cents: int
    cancels_bill_id: str | None


def missing_columns(header: list[str], required: tuple[str, ...]) -> list[str]:
    present = {h.strip().lower() for h in header if h}
    return [c for c in required if c not in present]


def _text(row: dict, field: str, max_len: int, required: bool = True) -> str:
    value = (row.get(field) or "").strip()
    if required and not value:
        raise RowError(field, "is empty")
    if len(value) > max_len:
        raise RowError(field, f"is longer than {max_len} characters")
    return value


def normalize_zip(value: str) -> str | None:
    match = _ZIP.match((value or "").strip())
    return match.group(1) if match else None


def parse_services(value: str) -> str:
    parts = sorted({p.strip().lower() for p in (value or "").split(";") if p.strip()})
    unknown = [p for p in parts if p not in SERVICES]
    if not parts:
        raise RowError("services", "is empty")
    if unknown:
        raise RowError("services", f"{', '.join(unknown)} is not one of {', '.join(SERVICES)}")
    return ";".join(parts)


def _amount(row: dict, field: str, allow_negative: bool) -> int:
    raw = (row.get(field) or "").strip()
    if not raw:
        raise RowError(field, "is empty")
    try:
        return parse_dollars(raw, allow_negative=allow_negative)
    except MoneyError as exc:
        raise RowError(field, f"{raw!r} is not an amount in dollars like 84.17") from exc


def _date(row: dict, field: str) -> date:
    raw = (row.get(field) or "").strip()
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise RowError(field, f"{raw!r} is not a date like 2026-01-31") from exc


def read_account_row(row: dict) -> AccountRow:
    number = _text(row, "account_number", 32)
    if not _ACCOUNT_NUMBER.match(number):
        raise RowError("account_number", f"{number!r} may hold only letters, digits and dashes")
    zip_code = normalize_zip(row.get("zip") or "")
    if zip_code is None:
        raise RowError("zip", f"{(row.get('zip') or '').strip()!r} is not a ZIP code like 94501")
    status = (row.get("status") or "").strip().lower()
    if status not in ("active", "closed"):
        raise RowError("status", f"{status!r} is not active or closed")
    meter = (row.get("meter_type") or "").strip().lower()
    if meter not in ("individual", "master"):
        raise RowError("meter_type", f"{meter!r} is not individual or master")
    return AccountRow(
        number=number, customer_name=_text(row, "customer_name", 200),
        service_address=_text(row, "service_address", 300), city=_text(row, "city", 100), zip=zip_code,
        services=parse_services(row.get("services") or ""), status=status, meter_type=meter,
        last_bill_amount_cents=_amount(row, "last_bill_amount", allow_negative=True),
    )


def read_bill_row(row: dict) -> BillRow:
    number = _text(row, "account_number", 32)
    bill_id = _text(row, "bill_id", 40)
    if not _BILL_ID.match(bill_id):
        raise RowError("bill_id", f"{bill_id!r} may hold only letters, digits, dots, dashes and underscores")
    start, end = _date(row, "period_start"), _date(row, "period_end")
    if end < start:
        raise RowError("period_end", "is before period_start")
    service = (row.get("service") or "").strip().lower()
    if service not in SERVICES:
        raise RowError("service", f"{service!r} is not one of {', '.join(SERVICES)}")
    cancels = (row.get("cancels_bill_id") or "").strip() or None
    if cancels == bill_id:
        raise RowError("cancels_bill_id", "a bill cannot cancel itself")
    return BillRow(number, bill_id, start, end, service, _amount(row, "charges", allow_negative=True), cancels)


def proof_matches(account_zip: str, account_last_bill_cents: int, given_zip: str, given_amount_cents: int) -> bool:
    """A customer proves they hold an account by its ZIP and the exact amount of its last bill."""
    return normalize_zip(given_zip) == account_zip and given_amount_cents == account_last_bill_cents


def reversible_cents(original_cents: int, reversed_cents: list[int]) -> int:
    """How much of an entry is left to reverse (as a positive number), given earlier reversals."""
    return abs(original_cents) - sum(abs(r) for r in reversed_cents)


def reversal_amount(original_cents: int, requested_cents: int | None, reversed_cents: list[int]) -> int:
    """The signed amount of a reversal: the opposite sign of the original, never more than remains."""
    remaining = reversible_cents(original_cents, reversed_cents)
    amount = remaining if requested_cents is None else abs(requested_cents)
    if amount <= 0:
        raise ValueError("nothing is left to reverse")
    if amount > remaining:
        raise ValueError(f"only {remaining} cents are left to reverse")
    return -amount if original_cents > 0 else amount


def running_totals(amounts: list[int]) -> list[int]:
    total, out = 0, []
    for amount in amounts:
        total += amount
        out.append(total)
    return out


def needs_approval(amount_cents: int, limit_cents: int, posted_today_cents: int = 0) -> bool:
    """An adjustment waits for a manager when it, with what the same person already posted on the
    same account that business day without one (amounts counted whichever way they go), is over the limit."""
    return abs(amount_cents) + abs(posted_today_cents) > limit_cents


def business_day_bounds(day: date, tz) -> tuple[datetime, datetime]:
    """The UTC instants where the utility's calendar day starts and the next one starts (DST-safe)."""
    start = datetime.combine(day, time(0), tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tz)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


# --- credit files ------------------------------------------------------------------------------

CREDIT_FIELDS = ("entry_id", "account_number", "amount", "amount_cents", "kind", "reason_code", "reason",
                 "period_start", "period_end", "created_on", "reverses_entry_id", "batch_id")
NUMERIC_CREDIT_FIELDS = frozenset({"entry_id", "amount", "amount_cents", "reverses_entry_id", "batch_id"})
DEFAULT_LAYOUT = (("ENTRY_ID", "entry_id"), ("ACCOUNT", "account_number"), ("AMOUNT", "amount"),
                  ("TYPE", "kind"), ("PERIOD_START", "period_start"), ("PERIOD_END", "period_end"),
                  ("REASON", "reason"))


def parse_layout(spec: str | None) -> list[list[str]]:
    """'ACCT=account_number,AMT=amount' (or just field names) -> [[header, field], ...]."""
    if not spec:
        return [list(c) for c in DEFAULT_LAYOUT]
    layout = []
    for part in spec.split(","):
        header, _, field = part.strip().partition("=")
        field = (field or header).strip()
        header = header.strip()
        if field not in CREDIT_FIELDS:
            raise ValueError(f"unknown credit file field {field!r}; use one of {', '.join(CREDIT_FIELDS)}")
        layout.append([header, field])
    return layout


# Fields the CIS matches on: written as they are (no apostrophe), since no spreadsheet reads them.
IDENTIFIER_FIELDS = frozenset({"account_number", "kind", "reason_code", "period_start", "period_end", "created_on"})
# How a batch's cells are written; kept on the batch so an earlier batch renders to its first bytes.
CELL_RULES = 2


def safe_cell(value, rules: int = CELL_RULES) -> str:
    """Free text for a CSV cell (`core.tabular.safe_cell`). Rules 1 are those of batches written
    before control characters were replaced: a leading tab or carriage return got the apostrophe too."""
    if rules >= 2:
        return tabular.safe_cell(value)
    text = "" if value is None else str(value)
    if text and text[0] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_cell(field: str, value, rules: int = CELL_RULES):
    """One cell of the CIS file: numbers as numbers, identifiers as identifiers, text made safe."""
    if field in NUMERIC_CREDIT_FIELDS:
        return value
    if field in IDENTIFIER_FIELDS and rules >= 2:
        return clean_text(value)
    return safe_cell(value, rules)


def dollars_text(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"
