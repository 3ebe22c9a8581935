"""Every read the reports make, in one module: plain rows out, nothing written.

Business dates are the utility's (`ASSIST_TIMEZONE`), both ends of a period inclusive. An
application is *received* on its submission date and *approved*/*denied* on its decision date
(a UTC instant, so a period becomes the UTC instants of its first and last local day). Test
records (an account or application marked `test_record`, which the demo's are) are left out of
every figure. Detail rows stream in a stable order (`yield_per`: a server-side cursor on
PostgreSQL), so a million-row sheet never sits in memory.

The assistance details (`purpose` on `AssistanceApplication`), the lifecycle's columns (`assisted`,
`language` on `Application`) and the determination's `categorical` are read only here, so a change of where they
live is a change of this module alone.
"""
from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Iterator

from sqlalchemy import BigInteger, Date, String, and_, cast, false, func, literal, or_, select, true
from sqlalchemy.orm import Session, aliased

from accounts.models import Account, LedgerEntry
from core import clock
from core.audit import AuditRecord
from applications.models import WAITING_FOR_STAFF, Application
from eligibility.assistance.models import ApplicationProgram, AssistanceApplication
from eligibility.enrollments.models import Enrollment
from eligibility.models import Program
from reports.models import EligibleEstimate

STREAM_ROWS = 2_000  # rows a detail query fetches at a time
METHODS = ("online", "assisted", "auto")        # how the household came in
BASES = ("categorical", "income")                 # what qualified it
END_KINDS = ("expired", "ended", "removed")      # the enrollment's status when it ended
PENDING = WAITING_FOR_STAFF + ("needs_info",)


# ---------------------------------------------------------------------------------------------
# Periods and programs


@dataclass(frozen=True)
class Period:
    """Business dates, both inclusive."""

    start: date
    end: date

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError("the period ends before it starts")

    @property
    def first_instant(self) -> datetime:
        return _instant(self.start)

    @property
    def after_instant(self) -> datetime:
        """The first instant after the period (midnight starting the day after `end`, local time)."""
        return _instant(self.end + timedelta(days=1))

    def months(self) -> list[str]:
        out, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    def month_period(self, month: str) -> "Period":
        y, m = int(month[:4]), int(month[5:7])
        first = date(y, m, 1)
        last = (date(y + (m == 12), m % 12 + 1, 1)) - timedelta(days=1)
        return Period(max(first, self.start), min(last, self.end))


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=clock.clock().tz).astimezone(timezone.utc)


def local_day(instant: datetime | None) -> date | None:
    return None if instant is None else instant.astimezone(clock.clock().tz).date()


@dataclass(frozen=True)
class ProgramRow:
    id: int
    code: str
    names: dict

    def name(self, language: str = "en") -> str:
        return self.names.get(language) or self.names["en"]


def programs(session: Session, codes: Iterable[str] | None = None) -> list[ProgramRow]:
    """The assistance programs by code (every one when `codes` is None); unknown codes are left out."""
    query = select(Program.id, Program.code, Program.names).order_by(Program.code)
    if codes is not None:
        query = query.where(Program.code.in_(list(codes)))
    return [ProgramRow(*row) for row in session.execute(query)]


def program_codes(session: Session) -> list[str]:
    return list(session.scalars(select(Program.code).order_by(Program.code)))


# Real records only: the account is not a test record, nor the application (when there is one).
# The demo's dashboard alone shows test records (`including_test_records`); no export ever does.
_INCLUDE_TEST: ContextVar[bool] = ContextVar("reports_include_test_records", default=False)


@contextmanager
def including_test_records(include: bool = True):
    token = _INCLUDE_TEST.set(include)
    try:
        yield
    finally:
        _INCLUDE_TEST.reset(token)


def _real_account():
    return true() if _INCLUDE_TEST.get() else Account.test_record.is_(false())


def _real_application():
    return true() if _INCLUDE_TEST.get() else Application.test_record.is_(false())


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _offsets(period: Period) -> list[tuple[datetime, int]]:
    """The utility's UTC offset (minutes) from each instant it changes, over the period and a day either side."""
    tz = clock.clock().tz
    at = period.first_instant - timedelta(days=1)
    end = period.after_instant + timedelta(days=1)
    offset = int(at.astimezone(tz).utcoffset().total_seconds() // 60)
    out = [(at, offset)]
    while at < end:
        at += timedelta(hours=1)
        now = int(at.astimezone(tz).utcoffset().total_seconds() // 60)
        if now != offset:
            out.append((at, now))
            offset = now
    return out


def _local_date(session: Session, column, period: Period):
    """The utility's calendar date of a UTC instant, in SQL: PostgreSQL converts with the zone itself;
    SQLite (naive UTC text) shifts by the zone's offset in force, with a CASE at each change in the period."""
    from sqlalchemy import case

    if _dialect(session) == "postgresql":
        return cast(func.timezone(clock.clock().tz.key, column), Date)
    changes = _offsets(period)
    shifted = [func.date(column, f"{minutes:+d} minutes") for _at, minutes in changes]
    if len(changes) == 1:
        return shifted[0]
    return case(*[(column < changes[i + 1][0], shifted[i]) for i in range(len(changes) - 1)], else_=shifted[-1])


def _local_month(session: Session, column, period: Period):
    """The local month ('YYYY-MM') of a UTC instant, in SQL on both engines."""
    if _dialect(session) == "postgresql":
        return func.to_char(func.timezone(clock.clock().tz.key, column), "YYYY-MM")
    return func.substr(_local_date(session, column, period), 1, 7)


def _date_month(column):
    """The month of a date column as 'YYYY-MM' on both engines."""
    return func.substr(cast(column, String), 1, 7)


def _aggregate_by_month(session: Session, base, keys: list, instant, period: Period, value=None) -> dict[tuple, int]:
    """Run `base` (a select with its FROM and WHERE) grouped by keys and the local month of `instant`."""
    month = _local_month(session, instant, period)
    agg = func.count() if value is None else func.coalesce(func.sum(value), 0)
    query = base.with_only_columns(*keys, month, agg).group_by(*keys, month)
    out: dict[tuple, int] = defaultdict(int)
    for row in session.execute(query):
        out[tuple(row[:-1])] += int(row[-1])
    return out


# ---------------------------------------------------------------------------------------------
# Enrollments


def _enrollment_base(program_ids: list[int]):
    return (select(Enrollment.id).join(Account, Account.id == Enrollment.account_id)
            .outerjoin(Application, Application.id == Enrollment.application_id)
            .where(_real_account(), or_(Enrollment.application_id.is_(None), _real_application()),
                   Enrollment.program_id.in_(program_ids)))


def _method():
    """online | assisted | auto, from the enrollment's source and its application."""
    from sqlalchemy import case

    return case((Enrollment.source == "auto", literal("auto")),
                (Application.assisted.is_(true()), literal("assisted")), else_=literal("online"))


def _basis():
    from sqlalchemy import case

    return case((Enrollment.categorical.is_not(None), literal("categorical")),
                (ApplicationProgram.determination["categorical"].as_string().is_not(None), literal("categorical")),
                else_=literal("income"))


def _with_determination(query):
    return query.outerjoin(ApplicationProgram, and_(ApplicationProgram.application_id == Enrollment.application_id,
                                                    ApplicationProgram.program_id == Enrollment.program_id))


def enrolled_on(session: Session, program_ids: list[int], day: date) -> dict[int, int]:
    """Enrollments in force at the end of `day`, per program id."""
    query = (_enrollment_base(program_ids)
             .with_only_columns(Enrollment.program_id, func.count())
             .where(Enrollment.enrolled_from <= day, or_(Enrollment.ended_on.is_(None), Enrollment.ended_on > day))
             .group_by(Enrollment.program_id))
    return {pid: n for pid, n in session.execute(query)}


def enrolled_by_zip(session: Session, program_ids: list[int], day: date) -> dict[tuple[int, str], int]:
    query = (_enrollment_base(program_ids)
             .with_only_columns(Enrollment.program_id, Account.zip, func.count())
             .where(Enrollment.enrolled_from <= day, or_(Enrollment.ended_on.is_(None), Enrollment.ended_on > day))
             .group_by(Enrollment.program_id, Account.zip))
    return {(pid, (z or "")[:5]): n for pid, z, n in session.execute(query)}


def new_enrollments(session: Session, program_ids: list[int], period: Period) -> dict[tuple, int]:
    """(program id, month, method, basis) -> enrollments whose benefit started in the period."""
    month, method, basis = _date_month(Enrollment.enrolled_from), _method(), _basis()  # one object each:
    query = (_with_determination(_enrollment_base(program_ids))  # PostgreSQL matches GROUP BY by its parameters
             .with_only_columns(Enrollment.program_id, month, method, basis, func.count())
             .where(Enrollment.enrolled_from >= period.start, Enrollment.enrolled_from <= period.end)
             .group_by(Enrollment.program_id, month, method, basis))
    return {(pid, m, method, basis): n for pid, m, method, basis, n in session.execute(query)}


def ended_enrollments(session: Session, program_ids: list[int], period: Period) -> dict[tuple, int]:
    """(program id, month, how it ended) -> enrollments whose benefit stopped in the period."""
    month = _date_month(Enrollment.ended_on)
    query = (_enrollment_base(program_ids)
             .with_only_columns(Enrollment.program_id, month, Enrollment.status, func.count())
             .where(Enrollment.ended_on >= period.start, Enrollment.ended_on <= period.end)
             .group_by(Enrollment.program_id, month, Enrollment.status))
    return {(pid, m, status): n for pid, m, status, n in session.execute(query)}


def recertified(session: Session, program_ids: list[int], period: Period) -> dict[tuple, int]:
    """(program id, month) -> renewals approved in the period (by decision date)."""
    base = (select(ApplicationProgram.id).join(Application, Application.id == ApplicationProgram.application_id)
            .join(AssistanceApplication, AssistanceApplication.application_id == Application.id)
            .join(Account, Account.id == Application.account_id)
            .where(_real_account(), _real_application(), AssistanceApplication.purpose == "recertification",
                   ApplicationProgram.status == "approved", ApplicationProgram.program_id.in_(program_ids),
                   ApplicationProgram.decided_at >= period.first_instant,
                   ApplicationProgram.decided_at < period.after_instant))
    return dict(_aggregate_by_month(session, base, [ApplicationProgram.program_id], ApplicationProgram.decided_at,
                                    period))


# ---------------------------------------------------------------------------------------------
# Applications


def _application_base(program_ids: list[int]):
    return (select(ApplicationProgram.id).join(Application, Application.id == ApplicationProgram.application_id)
            .join(AssistanceApplication, AssistanceApplication.application_id == Application.id)
            .join(Account, Account.id == Application.account_id)
            .where(_real_account(), _real_application(), ApplicationProgram.program_id.in_(program_ids),
                   Application.status != "draft"))


def received(session: Session, program_ids: list[int], period: Period) -> dict[int, int]:
    query = (_application_base(program_ids).with_only_columns(ApplicationProgram.program_id, func.count())
             .where(Application.submitted_on >= period.start, Application.submitted_on <= period.end)
             .group_by(ApplicationProgram.program_id))
    return dict(session.execute(query).all())


def decisions(session: Session, program_ids: list[int], period: Period) -> dict[tuple, int]:
    """(program id, approved|denied, month) -> decisions made in the period."""
    base = _application_base(program_ids).where(
        ApplicationProgram.status.in_(("approved", "denied")), ApplicationProgram.decided_at >= period.first_instant,
        ApplicationProgram.decided_at < period.after_instant)
    return dict(_aggregate_by_month(session, base, [ApplicationProgram.program_id, ApplicationProgram.status],
                                    ApplicationProgram.decided_at, period))


def pending_at_end(session: Session, program_ids: list[int], period: Period) -> dict[int, int]:
    """Received by the end of the period and not decided by then (what is still open, or decided later)."""
    query = (_application_base(program_ids).with_only_columns(ApplicationProgram.program_id, func.count())
             .where(Application.submitted_on <= period.end,
                    or_(and_(ApplicationProgram.status == "pending", Application.status.in_(PENDING)),
                        and_(ApplicationProgram.status.in_(("approved", "denied")),
                             ApplicationProgram.decided_at >= period.after_instant)))
             .group_by(ApplicationProgram.program_id))
    return dict(session.execute(query).all())


def median_days_to_decision(session: Session, program_ids: list[int], period: Period) -> dict[int, float]:
    """Per program: the median of (decision date - submission date) over decisions in the period."""
    where = (ApplicationProgram.status.in_(("approved", "denied")), Application.submitted_on.is_not(None),
             ApplicationProgram.decided_at >= period.first_instant, ApplicationProgram.decided_at < period.after_instant)
    if _dialect(session) == "postgresql":
        days = _local_date(session, ApplicationProgram.decided_at, period) - Application.submitted_on
        query = (_application_base(program_ids)
                 .with_only_columns(ApplicationProgram.program_id, func.percentile_cont(0.5).within_group(days))
                 .where(*where).group_by(ApplicationProgram.program_id))
        return {pid: float(m) for pid, m in session.execute(query) if m is not None}
    # SQLite: a histogram of days per program in SQL, the median from it here.
    days = cast(func.julianday(_local_date(session, ApplicationProgram.decided_at, period))
                - func.julianday(Application.submitted_on), BigInteger)
    query = (_application_base(program_ids).with_only_columns(ApplicationProgram.program_id, days, func.count())
             .where(*where).group_by(ApplicationProgram.program_id, days))
    histograms: dict[int, dict[int, int]] = defaultdict(dict)
    for pid, d, n in session.execute(query):
        histograms[pid][int(d)] = n
    return {pid: _median(h) for pid, h in histograms.items()}


def _median(histogram: dict[int, int]) -> float:
    total = sum(histogram.values())
    lower, upper = (total - 1) // 2, total // 2  # the middle one or two, counting from 0
    seen, low, high = 0, None, None
    for value in sorted(histogram):
        count = histogram[value]
        if low is None and seen + count > lower:
            low = value
        if seen + count > upper:
            high = value
            break
        seen += count
    return (low + high) / 2


def denials(session: Session, program_ids: list[int], period: Period) -> dict[tuple[int, str], int]:
    """(program id, reason code) -> denials decided in the period."""
    reason = func.coalesce(ApplicationProgram.reason_code, literal("(none)"))
    query = (_application_base(program_ids).with_only_columns(ApplicationProgram.program_id, reason, func.count())
             .where(ApplicationProgram.status == "denied", ApplicationProgram.decided_at >= period.first_instant,
                    ApplicationProgram.decided_at < period.after_instant)
             .group_by(ApplicationProgram.program_id, reason))
    return {(pid, r): n for pid, r, n in session.execute(query)}


@dataclass(frozen=True)
class ApplicationRow:
    """One program on one application, without names, emails or SSNs."""

    reference: str          # an opaque id, or the application number when identified rows are allowed
    account: str | None     # the account number, only on identified rows
    kind: str
    purpose: str
    program: str
    channel: str
    submitted_on: date | None
    decided_on: date | None
    days_to_decision: int | None
    outcome: str
    reason: str | None
    assisted: bool
    language: str


def opaque_id(secret: str, application_id: int) -> str:
    """The same application gets the same id in every report, and the id says nothing about it."""
    digest = hmac.new(secret.encode(), f"application:{application_id}".encode(), hashlib.sha256).hexdigest()
    return f"R-{digest[:12].upper()}"


def application_rows(session: Session, program_ids: list[int], period: Period, *, secret: str,
                     identified: bool = False) -> Iterator[ApplicationRow]:
    """Every program of every application received or decided in the period, oldest first, streamed."""
    query = (_application_base(program_ids)
             .with_only_columns(Application.id, Application.number, Account.number, AssistanceApplication.purpose,
                                Program.code, Application.assisted, Application.submitted_on,
                                ApplicationProgram.decided_at, ApplicationProgram.status, ApplicationProgram.reason_code,
                                Application.language, Application.status)
             .join(Program, Program.id == ApplicationProgram.program_id)
             .where(or_(and_(Application.submitted_on >= period.start, Application.submitted_on <= period.end),
                        and_(ApplicationProgram.decided_at >= period.first_instant,
                             ApplicationProgram.decided_at < period.after_instant)))
             .order_by(Application.submitted_on, Application.id, ApplicationProgram.id)
             .execution_options(yield_per=STREAM_ROWS))
    for (app_id, number, account, purpose, code, assisted, submitted, decided_at, status, reason, lang,
         app_status) in session.execute(query):
        decided = local_day(decided_at)
        outcome = status if status != "pending" else ("pending" if app_status in PENDING else app_status)
        yield ApplicationRow(
            reference=(number or f"#{app_id}") if identified else opaque_id(secret, app_id),
            account=account if identified else None, kind="assistance", purpose=purpose, program=code,
            channel="assisted" if assisted else "online", submitted_on=submitted, decided_on=decided,
            days_to_decision=(decided - submitted).days if decided and submitted else None, outcome=outcome,
            reason=reason, assisted=bool(assisted), language=lang)


def count_application_rows(session: Session, program_ids: list[int], period: Period) -> int:
    query = (_application_base(program_ids).with_only_columns(func.count())
             .where(or_(and_(Application.submitted_on >= period.start, Application.submitted_on <= period.end),
                        and_(ApplicationProgram.decided_at >= period.first_instant,
                             ApplicationProgram.decided_at < period.after_instant))))
    return session.scalar(query) or 0


def pending_ages(session: Session, program_ids: list[int], today: date) -> dict[int, list[int]]:
    """Per program: the age in days of every application waiting now (for the dashboard's buckets)."""
    query = (_application_base(program_ids)
             .with_only_columns(ApplicationProgram.program_id, Application.submitted_on)
             .where(ApplicationProgram.status == "pending", Application.status.in_(PENDING),
                    Application.submitted_on.is_not(None))
             .execution_options(yield_per=STREAM_ROWS))
    out: dict[int, list[int]] = defaultdict(list)
    for pid, submitted in session.execute(query):
        out[pid].append(max(0, (today - submitted).days))
    return out


# ---------------------------------------------------------------------------------------------
# Credits (the ledger): benefit credits are keyed `benefit:<program>:<bill>`


def _benefit_program(session: Session, entry):
    """The program code in a benefit credit's key (`benefit:<program>:<bill>`), in SQL."""
    rest = func.substr(entry.idempotency_key, 9)  # after "benefit:"
    if _dialect(session) == "postgresql":
        return func.split_part(rest, ":", 1)
    return func.substr(rest, 1, func.instr(rest, ":") - 1)


def credits(session: Session, program_ids: list[int], period: Period) -> dict[tuple, int]:
    """(program id, month, benefit|reversal) -> cents posted in the period (by posting date).

    Grouped by the code in the credit's key (no join to programs: a LIKE per entry and program was
    most of the query), then mapped to the programs asked for."""
    original = aliased(LedgerEntry)
    by_code = {code: pid for pid, code in session.execute(select(Program.id, Program.code)
                                                          .where(Program.id.in_(program_ids)))}
    out: dict[tuple, int] = defaultdict(int)
    in_period = (LedgerEntry.created_at >= period.first_instant, LedgerEntry.created_at < period.after_instant)
    code = _benefit_program(session, LedgerEntry)
    base = (select(LedgerEntry.id).join(Account, Account.id == LedgerEntry.account_id)
            .where(_real_account(), LedgerEntry.kind == "discount", LedgerEntry.idempotency_key.like("benefit:%"),
                   *in_period))
    for (c, month), cents in _aggregate_by_month(session, base, [code], LedgerEntry.created_at, period,
                                                 LedgerEntry.amount_cents).items():
        if c in by_code:
            out[(by_code[c], month, "benefit")] += cents
    code = _benefit_program(session, original)
    reversals = (select(LedgerEntry.id).join(original, original.id == LedgerEntry.reverses_id)
                 .join(Account, Account.id == LedgerEntry.account_id)
                 .where(_real_account(), LedgerEntry.kind == "reversal", original.kind == "discount",
                        original.idempotency_key.like("benefit:%"), *in_period))
    for (c, month), cents in _aggregate_by_month(session, reversals, [code], LedgerEntry.created_at, period,
                                                 LedgerEntry.amount_cents).items():
        if c in by_code:
            out[(by_code[c], month, "reversal")] += cents
    return dict(out)


# ---------------------------------------------------------------------------------------------
# Recertification and verification: counted from the audit records written with each change


RECERT_ACTIONS = {"enrollment.recertified": "in_time", "enrollment.recertified_late": "late",
                  "enrollment.expired": "dropped", "enrollment.verification_requested": "selected",
                  "enrollment.verified": "verified", "enrollment.removed": "removed"}


def recertification_outcomes(session: Session, program_ids: list[int], period: Period) -> dict[tuple, int]:
    """(program id, outcome, method) -> enrollments with that outcome recorded in the period."""
    method = _method()
    query = (select(Enrollment.program_id, AuditRecord.action, method, func.count())
             .select_from(AuditRecord)
             .join(Enrollment, Enrollment.id == cast(AuditRecord.object_id, BigInteger))
             .join(Account, Account.id == Enrollment.account_id)
             .outerjoin(Application, Application.id == Enrollment.application_id)
             .where(AuditRecord.object_type == "enrollments", AuditRecord.action.in_(list(RECERT_ACTIONS)),
                    AuditRecord.occurred_at >= period.first_instant, AuditRecord.occurred_at < period.after_instant,
                    _real_account(), or_(Enrollment.application_id.is_(None), _real_application()),
                    Enrollment.program_id.in_(program_ids))
             .group_by(Enrollment.program_id, AuditRecord.action, method))
    return {(pid, RECERT_ACTIONS[action], m): n for pid, action, m, n in session.execute(query)}


def verification_responses(session: Session, program_ids: list[int], period: Period) -> tuple[dict, dict]:
    """Per program: verification requests answered in the period, and those still open at its end."""
    base = _application_base(program_ids).where(AssistanceApplication.purpose == "verification")
    responded = base.with_only_columns(ApplicationProgram.program_id, func.count()).where(
        Application.submitted_on >= period.start, Application.submitted_on <= period.end).group_by(
        ApplicationProgram.program_id)
    open_ = base.with_only_columns(ApplicationProgram.program_id, func.count()).where(
        ApplicationProgram.status == "pending", Application.status.in_(PENDING)).group_by(ApplicationProgram.program_id)
    return dict(session.execute(responded).all()), dict(session.execute(open_).all())


# ---------------------------------------------------------------------------------------------
# Eligible-population estimates


def estimates(session: Session, program_ids: list[int], year: int) -> dict[tuple[int, str], int]:
    query = select(EligibleEstimate.program_id, EligibleEstimate.zip, EligibleEstimate.households).where(
        EligibleEstimate.program_id.in_(program_ids), EligibleEstimate.year == year)
    return {(pid, z): n for pid, z, n in session.execute(query)}


def estimate_vintage(session: Session, program_ids: list[int], year: int) -> list[tuple[str, str, datetime]]:
    query = (select(Program.code, EligibleEstimate.source, func.max(EligibleEstimate.loaded_at))
             .join(Program, Program.id == EligibleEstimate.program_id)
             .where(EligibleEstimate.program_id.in_(program_ids), EligibleEstimate.year == year)
             .group_by(Program.code, EligibleEstimate.source).order_by(Program.code, EligibleEstimate.source))
    return [tuple(row) for row in session.execute(query)]


# ---------------------------------------------------------------------------------------------
# The figures a sheet shows, assembled from the queries above


@dataclass
class SummaryRow:
    program: str
    name: str
    enrolled_start: int = 0
    enrolled_end: int = 0
    new_online: int = 0
    new_assisted: int = 0
    new_auto: int = 0
    new_categorical: int = 0
    new_income: int = 0
    recertified: int = 0
    ended_expired: int = 0
    ended_ended: int = 0
    removed: int = 0
    received: int = 0
    approved: int = 0
    denied: int = 0
    pending: int = 0
    median_days_to_decision: float | None = None
    benefits_cents: int = 0
    reversals_cents: int = 0
    rebates_cents: int = 0
    rebate_units: int = 0

    @property
    def new(self) -> int:
        return self.new_online + self.new_assisted + self.new_auto

    @property
    def ended(self) -> int:
        return self.ended_expired + self.ended_ended + self.removed

    @property
    def net_change(self) -> int:
        return self.enrolled_end - self.enrolled_start


@dataclass
class MonthRow:
    program: str
    month: str
    beginning: int = 0
    new: dict = field(default_factory=lambda: {m: 0 for m in METHODS})
    recertified: int = 0
    ended: dict = field(default_factory=lambda: {k: 0 for k in END_KINDS})
    ending: int = 0
    approved: int = 0
    denied: int = 0

    @property
    def change(self) -> float | None:
        return None if not self.beginning else (self.ending - self.beginning) / self.beginning

    def explanation(self) -> str | None:
        """The largest cause of a move of 5% or more, as a regulator asks."""
        if self.change is None or abs(self.change) < 0.05:
            if self.beginning or not self.ending:
                return None
        causes = {f"new ({m})": n for m, n in self.new.items()} | {f"ended ({k})": n for k, n in self.ended.items()}
        causes = {k: v for k, v in causes.items() if v}
        if not causes:
            return None
        cause, count = max(sorted(causes.items()), key=lambda kv: kv[1])
        return f"largest cause: {cause}, {count}"


@dataclass
class Figures:
    """Everything the Summary and Monthly sheets (and the API) show for one period."""

    period: Period
    programs: list[ProgramRow]
    summary: list[SummaryRow]
    monthly: list[MonthRow]
    as_of: datetime


def figures(session: Session, programs_: list[ProgramRow], period: Period) -> Figures:
    ids = [p.id for p in programs_]
    by_id = {p.id: p for p in programs_}
    rows = {p.id: SummaryRow(p.code, p.name()) for p in programs_}
    start = enrolled_on(session, ids, period.start - timedelta(days=1))
    end = enrolled_on(session, ids, period.end)
    new = new_enrollments(session, ids, period)
    ended = ended_enrollments(session, ids, period)
    recert = recertified(session, ids, period)
    decided = decisions(session, ids, period)
    for pid, row in rows.items():
        row.enrolled_start, row.enrolled_end = start.get(pid, 0), end.get(pid, 0)
    for (pid, _m, method, basis), n in new.items():
        setattr(rows[pid], f"new_{method}", getattr(rows[pid], f"new_{method}") + n)
        setattr(rows[pid], f"new_{basis}", getattr(rows[pid], f"new_{basis}") + n)
    for (pid, _m, status), n in ended.items():
        name = "removed" if status == "removed" else f"ended_{'expired' if status == 'expired' else 'ended'}"
        setattr(rows[pid], name, getattr(rows[pid], name) + n)
    for (pid, _m), n in recert.items():
        rows[pid].recertified += n
    for (pid, status, _m), n in decided.items():
        setattr(rows[pid], status, getattr(rows[pid], status) + n)
    for pid, n in received(session, ids, period).items():
        rows[pid].received = n
    for pid, n in pending_at_end(session, ids, period).items():
        rows[pid].pending = n
    for pid, m in median_days_to_decision(session, ids, period).items():
        rows[pid].median_days_to_decision = m
    for (pid, _m, kind), cents in credits(session, ids, period).items():
        if kind == "benefit":
            rows[pid].benefits_cents += cents
        else:
            rows[pid].reversals_cents += cents
    # Monthly: begin from the period's start and walk the months.
    monthly = []
    for pid, program in by_id.items():
        running = start.get(pid, 0)
        for month in period.months():
            row = MonthRow(program.code, month, beginning=running)
            for method in METHODS:
                row.new[method] = sum(n for (p, m, me, _b), n in new.items() if p == pid and m == month and me == method)
            for kind in END_KINDS:
                row.ended[kind] = ended.get((pid, month, kind), 0)
            row.recertified = recert.get((pid, month), 0)
            row.approved = decided.get((pid, "approved", month), 0)
            row.denied = decided.get((pid, "denied", month), 0)
            row.ending = running + sum(row.new.values()) - sum(row.ended.values())
            running = row.ending
            monthly.append(row)
    return Figures(period, programs_, [rows[p.id] for p in programs_], monthly, clock.now())


@dataclass
class RecertRow:
    program: str
    due: int = 0
    in_time: int = 0
    late: int = 0
    dropped: int = 0
    selected_application: int = 0
    selected_auto: int = 0
    responded: int = 0
    verified: int = 0
    removed: int = 0
    pending: int = 0

    @property
    def selected(self) -> int:
        return self.selected_application + self.selected_auto

    def rate(self, part: int, whole: int) -> float | None:
        return part / whole if whole else None


def recertification_rows(session: Session, programs_: list[ProgramRow], period: Period) -> list[RecertRow]:
    ids = [p.id for p in programs_]
    rows = {p.id: RecertRow(p.code) for p in programs_}
    for (pid, outcome, method), n in recertification_outcomes(session, ids, period).items():
        row = rows[pid]
        if outcome == "selected":
            if method == "auto":
                row.selected_auto += n
            else:
                row.selected_application += n
        else:
            setattr(row, outcome, getattr(row, outcome) + n)
    responded, open_ = verification_responses(session, ids, period)
    for pid, row in rows.items():
        row.responded, row.pending = responded.get(pid, 0), open_.get(pid, 0)
        row.due = row.in_time + row.late + row.dropped
    return [rows[p.id] for p in programs_]


@dataclass(frozen=True)
class PenetrationRow:
    program: str
    zip: str
    eligible: int | None
    enrolled: int

    @property
    def rate(self) -> float | None:
        return self.enrolled / self.eligible if self.eligible else None

    @property
    def gap(self) -> int | None:
        return None if self.eligible is None else max(0, self.eligible - self.enrolled)


def penetration_rows(session: Session, programs_: list[ProgramRow], period: Period) -> list[PenetrationRow]:
    """Per program and ZIP: the year's estimate of eligible households against enrollment at the period's end."""
    ids = [p.id for p in programs_]
    eligible = estimates(session, ids, period.end.year)
    enrolled = enrolled_by_zip(session, ids, period.end)
    out = []
    for program in programs_:
        zips = sorted({z for (pid, z) in eligible if pid == program.id} | {z for (pid, z) in enrolled if pid == program.id})
        out.extend(PenetrationRow(program.code, z, eligible.get((program.id, z)), enrolled.get((program.id, z), 0))
                   for z in zips)
    return out


@dataclass(frozen=True)
class DenialRow:
    program: str
    reason: str
    count: int
    share: float


def denial_rows(session: Session, programs_: list[ProgramRow], period: Period) -> list[DenialRow]:
    counts = denials(session, [p.id for p in programs_], period)
    out = []
    for program in programs_:
        mine = sorted(((r, n) for (pid, r), n in counts.items() if pid == program.id), key=lambda rn: (-rn[1], rn[0]))
        total = sum(n for _r, n in mine)
        out.extend(DenialRow(program.code, r, n, n / total) for r, n in mine)
    return out


@dataclass(frozen=True)
class CreditRow:
    program: str
    month: str
    benefits_cents: int
    reversals_cents: int
    rebates_cents: int = 0

    @property
    def net_cents(self) -> int:
        return self.benefits_cents + self.reversals_cents + self.rebates_cents


def credit_rows(session: Session, programs_: list[ProgramRow], period: Period) -> list[CreditRow]:
    posted = credits(session, [p.id for p in programs_], period)
    return [CreditRow(p.code, m, posted.get((p.id, m, "benefit"), 0), posted.get((p.id, m, "reversal"), 0))
            for p in programs_ for m in period.months()]


# ---------------------------------------------------------------------------------------------
# The dashboard: this month and the year to date, and the lists behind its figures


@dataclass
class DashboardRow:
    program: str
    name: str
    enrolled: int = 0
    new_month: int = 0
    ended_month: int = 0
    new_year: int = 0
    ended_year: int = 0
    pending: int = 0
    oldest_days: int | None = None
    ages: dict = field(default_factory=lambda: {"0-7": 0, "8-30": 0, "31+": 0})
    due: dict = field(default_factory=lambda: {30: 0, 60: 0, 90: 0})


def _age_bucket(days: int) -> str:
    return "0-7" if days <= 7 else "8-30" if days <= 30 else "31+"


def dashboard(session: Session, programs_: list[ProgramRow], today: date) -> tuple[list[DashboardRow], list[MonthRow]]:
    """Per program: enrolled today, new and ended this month and this year, what waits and how long,
    renewals due in 30/60/90 days; and the year's months for the chart."""
    ids = [p.id for p in programs_]
    rows = {p.id: DashboardRow(p.code, p.name()) for p in programs_}
    year = Period(date(today.year, 1, 1), today)
    month = f"{today.year:04d}-{today.month:02d}"
    for pid, n in enrolled_on(session, ids, today).items():
        rows[pid].enrolled = n
    new = new_enrollments(session, ids, year)
    ended = ended_enrollments(session, ids, year)
    for (pid, m, _method, _basis), n in new.items():
        rows[pid].new_year += n
        rows[pid].new_month += n if m == month else 0
    for (pid, m, _status), n in ended.items():
        rows[pid].ended_year += n
        rows[pid].ended_month += n if m == month else 0
    for pid, ages in pending_ages(session, ids, today).items():
        rows[pid].pending, rows[pid].oldest_days = len(ages), max(ages)
        for age in ages:
            rows[pid].ages[_age_bucket(age)] += 1
    for (pid, days), n in due_counts(session, ids, today).items():
        rows[pid].due[days] = n
    # The chart's months, from the year's start and the same new and ended counts (no second pass).
    start = enrolled_on(session, ids, year.start - timedelta(days=1))
    months = []
    for program in programs_:
        running = start.get(program.id, 0)
        for m in year.months():
            row = MonthRow(program.code, m, beginning=running)
            for (pid, mm, method, _b), n in new.items():
                if pid == program.id and mm == m:
                    row.new[method] += n
            for kind in END_KINDS:
                row.ended[kind] = ended.get((program.id, m, kind), 0)
            row.ending = running = running + sum(row.new.values()) - sum(row.ended.values())
            months.append(row)
    return [rows[p.id] for p in programs_], months


def due_counts(session: Session, program_ids: list[int], today: date) -> dict[tuple[int, int], int]:
    """(program id, 30|60|90) -> current enrollments whose certification ends within that many days: one pass."""
    from sqlalchemy import case

    due = (Enrollment.status.in_(("active", "recertification_due")), Enrollment.certified_to >= today,
           Enrollment.certified_to <= today + timedelta(days=90))
    sums = [func.sum(case((Enrollment.certified_to <= today + timedelta(days=d), 1), else_=0)) for d in (30, 60, 90)]
    query = (_enrollment_base(program_ids).with_only_columns(Enrollment.program_id, *sums).where(*due)
             .group_by(Enrollment.program_id))
    out = {}
    for pid, *counts in session.execute(query):
        out.update({(pid, d): int(n or 0) for d, n in zip((30, 60, 90), counts)})
    return out


@dataclass(frozen=True)
class EnrollmentListRow:
    id: int
    account: str
    program: str
    status: str
    enrolled_from: date
    certified_to: date
    ended_on: date | None


LIST_FIGURES = ("enrolled", "new", "ended")


def enrollment_list(session: Session, program_ids: list[int], figure: str, period: Period, *, after: int = 0,
                    limit: int = 100) -> list[EnrollmentListRow]:
    """The enrollments behind a dashboard figure, by id, a page at a time (`after` the last id shown)."""
    query = (_enrollment_base(program_ids)
             .with_only_columns(Enrollment.id, Account.number, Program.code, Enrollment.status,
                                Enrollment.enrolled_from, Enrollment.certified_to, Enrollment.ended_on)
             .join(Program, Program.id == Enrollment.program_id)
             .where(Enrollment.id > after).order_by(Enrollment.id).limit(limit))
    if figure == "enrolled":
        query = query.where(Enrollment.enrolled_from <= period.end,
                            or_(Enrollment.ended_on.is_(None), Enrollment.ended_on > period.end))
    elif figure == "new":
        query = query.where(Enrollment.enrolled_from >= period.start, Enrollment.enrolled_from <= period.end)
    elif figure == "ended":
        query = query.where(Enrollment.ended_on >= period.start, Enrollment.ended_on <= period.end)
    else:
        raise ValueError(figure)
    return [EnrollmentListRow(*row) for row in session.execute(query)]
