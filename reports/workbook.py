"""The participation workbook, built from the rows of `reports.queries` (openpyxl, write-only, lxml).

Each sheet: title rows (what it is, the period, the data's "as of" time, the programs), then a
header row per table; frozen headers, an autofilter on the detail table, number formats (money
as currency, dates as dates, rates as percentages, identifiers as text), values only, never a
formula. Text that a spreadsheet would read as a formula (a leading `=`, `+`, `-`, `@`, tab or
CR) is written as a string with Excel's quote prefix. A sheet that would pass Excel's row limit
goes on in "<name> (2)". Rows are written as they stream from the database, so memory stays flat
however long the Applications sheet is.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core import clock
from reports import queries

EXCEL_MAX_ROWS = 1_048_576
SHEET_NAME_MAX = 31
TITLE_ROWS = 4  # what, period, as of, programs; then a blank row, then the header
HEADER_ROW = TITLE_ROWS + 2
CURRENCY = '"$"#,##0.00;-"$"#,##0.00'
PERCENT = "0.0%"
DATE = "yyyy-mm-dd"
TEXT = "@"
INTEGER = "#,##0"
SUPPRESSED = "<11"
SMALL_CELL = 11  # counts below this in a geographic or demographic breakdown show as "<11"
PROGRESS_EVERY = 5_000

_UNSAFE_START = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_FIRST = frozenset(_UNSAFE_START)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # characters XML 1.0 cannot carry


def money(cents: int | None) -> Decimal | None:
    return None if cents is None else Decimal(cents) / 100


@dataclass
class Column:
    header: str
    format: str | None = None
    width: int = 14


@dataclass
class Progress:
    """What the job shows while it runs."""

    sheet: str = ""
    rows_written: int = 0
    total_rows: int = 1
    callback: Callable[[dict], None] | None = None
    _last: int = 0

    def as_dict(self) -> dict:
        percent = min(99, int(100 * self.rows_written / max(1, self.total_rows)))
        return {"sheet": self.sheet, "rows_written": self.rows_written, "percent": percent}

    def tick(self, force: bool = False) -> None:
        if self.callback and (force or self.rows_written - self._last >= PROGRESS_EVERY):
            self._last = self.rows_written
            self.callback(self.as_dict())


class Sheet:
    """One sheet (and its continuations): title rows, a header, then rows; formats by column."""

    def __init__(self, book: "ParticipationWorkbook", name: str, title: str, columns: list[Column],
                 autofilter: bool = True):
        self.book, self.name, self.title, self.columns, self.autofilter = book, name, title, columns, autofilter
        # Dates and text need no format of their own (openpyxl gives a date one; a str stays text).
        self.formats = [c.format if c.format not in (None, TEXT, DATE) else None for c in columns]
        self.part = 0
        self.filter_last: int | None = None  # the detail table's last row, when other tables follow it
        self.sheets: list = []
        self._open()

    def _open(self) -> None:
        self.part += 1
        name = self.name if self.part == 1 else f"{self.name[:SHEET_NAME_MAX - 5]} ({self.part})"
        ws = self.book.wb.create_sheet(name[:SHEET_NAME_MAX])
        ws.freeze_panes = f"A{HEADER_ROW + 1}"
        for index, column in enumerate(self.columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = column.width
        title = self.title if self.part == 1 else f"{self.title} (continued, part {self.part})"
        for line in (title, *self.book.title_lines()):
            ws.append([self.book.text(ws, line)])
        ws.append([])
        bold = Font(bold=True)
        header = []
        for column in self.columns:
            cell = WriteOnlyCell(ws, value=column.header)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        self.ws, self.rows = ws, HEADER_ROW
        self.sheets.append(ws)
        self.book.progress.sheet = name

    def append(self, values: Iterable[Any]) -> None:
        if self.rows >= self.book.max_rows:
            self._close_filter()
            self._open()
        ws = self.ws
        row = []
        # A cell object only where it changes something (a number format, a formula-looking text):
        # openpyxl builds one per value anyway, and a second per cell was a third of the time.
        for value, fmt in zip(values, self.formats):
            if value.__class__ is str:
                if value[:1] in _UNSAFE_FIRST or not value.isprintable():
                    value = self.book.text(ws, value)
            elif fmt is not None and value is not None:
                value = WriteOnlyCell(ws, value=value)
                value.number_format = fmt
            row.append(value)
        ws.append(row)
        self.rows += 1
        self.book.progress.rows_written += 1
        self.book.progress.tick()

    def _close_filter(self) -> None:
        if self.autofilter:
            last = get_column_letter(len(self.columns))
            self.ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{max(self.filter_last or self.rows, HEADER_ROW)}"

    def close(self) -> None:
        self._close_filter()


@dataclass
class BuildResult:
    sheets: list[str]
    rows: int
    applications: int
    figures: queries.Figures | None = None
    extra: dict = field(default_factory=dict)


class ParticipationWorkbook:
    """Writes the workbook for a period and programs; `max_rows` is Excel's limit unless a test sets one."""

    def __init__(self, period: queries.Period, programs: list[queries.ProgramRow], *, as_of: datetime,
                 max_rows: int = EXCEL_MAX_ROWS, progress: Progress | None = None):
        if max_rows <= HEADER_ROW:
            raise ValueError("max_rows leaves no room for rows under the header")
        self.period, self.programs, self.as_of, self.max_rows = period, programs, as_of, max_rows
        self.progress = progress or Progress()
        self.wb = Workbook(write_only=True)
        self.sheets: list[Sheet] = []

    def title_lines(self) -> list[str]:
        tz = clock.clock().tz.key
        return [f"Period: {self.period.start.isoformat()} to {self.period.end.isoformat()} "
                f"(business dates in {tz}, both inclusive)",
                f"Data as of: {self.as_of.astimezone(clock.clock().tz).strftime('%Y-%m-%d %H:%M %Z')}",
                "Programs: " + (", ".join(p.code for p in self.programs) or "(none)")]

    @staticmethod
    def text(ws, value: str):
        """A text cell that no spreadsheet runs as a formula (and without characters XML cannot carry)."""
        value = _CONTROL.sub(" ", value)
        if value.startswith(_UNSAFE_START):
            cell = WriteOnlyCell(ws, value=value)
            cell.data_type = "s"  # a string, whatever it starts with
            cell.quotePrefix = True
            return cell
        return value

    def sheet(self, name: str, title: str, columns: list[Column], autofilter: bool = True) -> Sheet:
        sheet = Sheet(self, name, title, columns, autofilter)
        self.sheets.append(sheet)
        return sheet

    def save(self, out) -> list[str]:
        for sheet in self.sheets:
            sheet.close()
        self.wb.save(out)
        return [ws.title for sheet in self.sheets for ws in sheet.sheets]


# ---------------------------------------------------------------------------------------------
# The sheets


SUMMARY_COLUMNS = [
    Column("Program", width=10), Column("Name", width=30), Column("Enrolled at start", INTEGER),
    Column("New: online", INTEGER), Column("New: assisted", INTEGER),
    Column("New: agency file / auto-enrolled", INTEGER), Column("New: categorical", INTEGER),
    Column("New: income", INTEGER), Column("New: total", INTEGER), Column("Recertified", INTEGER),
    Column("Ended: no renewal (expired)", INTEGER), Column("Ended: other reasons", INTEGER),
    Column("Removed after verification", INTEGER), Column("Ended: total", INTEGER),
    Column("Enrolled at end", INTEGER), Column("Net change", INTEGER), Column("Applications received", INTEGER),
    Column("Approved", INTEGER), Column("Denied", INTEGER), Column("Pending at end", INTEGER),
    Column("Median days to decision", "0.0"), Column("Benefits credited ($)", CURRENCY, 16),
    Column("Benefit reversals ($)", CURRENCY, 16), Column("Rebates paid ($)", CURRENCY, 16),
    Column("Rebate units", INTEGER),
]


def _summary(book: ParticipationWorkbook, figures: queries.Figures) -> None:
    sheet = book.sheet("Summary", "Summary: participation by program", SUMMARY_COLUMNS)
    for r in figures.summary:
        sheet.append([r.program, r.name, r.enrolled_start, r.new_online, r.new_assisted, r.new_auto,
                      r.new_categorical, r.new_income, r.new, r.recertified, r.ended_expired, r.ended_ended,
                      r.removed, r.ended, r.enrolled_end, r.net_change, r.received, r.approved, r.denied, r.pending,
                      r.median_days_to_decision, money(r.benefits_cents), money(r.reversals_cents),
                      money(r.rebates_cents), r.rebate_units])
    # The charts' data: two small tables under the summary, one column per program.
    ws = sheet.ws
    sheet.filter_last = sheet.rows
    months = book.period.months()
    codes = [p.code for p in book.programs]
    ws.append([])
    first = sheet.rows + 2
    ws.append(["Enrolled at the end of the month", *codes])
    ending = {(m.program, m.month): m for m in figures.monthly}
    for month in months:
        ws.append([month, *[ending[(c, month)].ending for c in codes]])
    ws.append([])
    second = first + len(months) + 2
    ws.append(["Decisions by month", "Approved", "Denied"])
    for month in months:
        ws.append([month, sum(ending[(c, month)].approved for c in codes),
                   sum(ending[(c, month)].denied for c in codes)])
    sheet.rows = second + len(months)
    if codes:
        line = LineChart()
        line.title, line.y_axis.title, line.x_axis.title = "Enrollment by month", "Enrolled", "Month"
        line.add_data(Reference(ws, min_col=2, max_col=1 + len(codes), min_row=first, max_row=first + len(months)),
                      titles_from_data=True)
        line.set_categories(Reference(ws, min_col=1, min_row=first + 1, max_row=first + len(months)))
        ws.add_chart(line, f"D{first}")
        bars = BarChart()
        bars.type, bars.title, bars.y_axis.title = "col", "Approvals and denials by month", "Decisions"
        bars.add_data(Reference(ws, min_col=2, max_col=3, min_row=second, max_row=second + len(months)),
                      titles_from_data=True)
        bars.set_categories(Reference(ws, min_col=1, min_row=second + 1, max_row=second + len(months)))
        ws.add_chart(bars, f"M{first}")


MONTHLY_COLUMNS = [
    Column("Program", width=10), Column("Month", width=10), Column("Beginning count", INTEGER),
    Column("New: online", INTEGER), Column("New: assisted", INTEGER), Column("New: agency file / auto-enrolled", INTEGER),
    Column("Recertified", INTEGER), Column("Ended: no renewal (expired)", INTEGER),
    Column("Ended: other reasons", INTEGER), Column("Removed after verification", INTEGER),
    Column("Ending count", INTEGER), Column("Change from prior month", PERCENT),
    Column("Explanation (moves of 5% or more)", width=40),
]


def _monthly(book: ParticipationWorkbook, figures: queries.Figures) -> None:
    sheet = book.sheet("Monthly", "Monthly: enrollment by program and month", MONTHLY_COLUMNS)
    for m in figures.monthly:
        sheet.append([m.program, m.month, m.beginning, m.new["online"], m.new["assisted"], m.new["auto"],
                      m.recertified, m.ended["expired"], m.ended["ended"], m.ended["removed"], m.ending, m.change,
                      m.explanation()])


PENETRATION_COLUMNS = [
    Column("Program", width=10), Column("ZIP code", TEXT, 10), Column("Estimated eligible households", INTEGER, 18),
    Column("Enrolled", INTEGER), Column("Penetration rate", PERCENT), Column("Gap", INTEGER),
]


def suppress(count: int | None, exact: bool):
    if count is None or exact or count >= SMALL_CELL:
        return count
    return SUPPRESSED


def _penetration(book: ParticipationWorkbook, rows: list[queries.PenetrationRow], exact: bool) -> None:
    sheet = book.sheet("Penetration", "Penetration: enrolled against estimated eligible households, by ZIP code",
                       PENETRATION_COLUMNS)
    for r in rows:
        small = not exact and any(n is not None and n < SMALL_CELL for n in (r.eligible, r.enrolled))
        sheet.append([r.program, r.zip, suppress(r.eligible, exact), suppress(r.enrolled, exact),
                      None if small else r.rate, None if small else r.gap])


RECERT_COLUMNS = [
    Column("Program", width=10), Column("Due", INTEGER), Column("Completed in time", INTEGER), Column("Late", INTEGER),
    Column("Dropped for no response", INTEGER), Column("Selected for verification: applied", INTEGER),
    Column("Selected for verification: auto-enrolled", INTEGER), Column("Selected for verification: total", INTEGER),
    Column("Responded", INTEGER), Column("Verified", INTEGER), Column("Removed", INTEGER),
    Column("Pending", INTEGER), Column("Recertified in time (rate)", PERCENT), Column("Verified (rate)", PERCENT),
    Column("Removed (rate)", PERCENT),
]


def _recertification(book: ParticipationWorkbook, rows: list[queries.RecertRow]) -> None:
    sheet = book.sheet("Recertification", "Recertification and post-enrollment verification", RECERT_COLUMNS)
    for r in rows:
        sheet.append([r.program, r.due, r.in_time, r.late, r.dropped, r.selected_application, r.selected_auto,
                      r.selected, r.responded, r.verified, r.removed, r.pending, r.rate(r.in_time, r.due),
                      r.rate(r.verified, r.selected), r.rate(r.removed, r.selected)])


APPLICATION_COLUMNS = [
    Column("Program", width=10), Column("Application", TEXT, 16), Column("Account", TEXT, 14), Column("Kind"),
    Column("Purpose"), Column("Channel"), Column("Submitted", DATE, 12), Column("Decided", DATE, 12),
    Column("Days to decision"), Column("Outcome"), Column("Reason", width=24), Column("Assisted"),
    Column("Language", width=10),
]


def _applications(book: ParticipationWorkbook, rows: Iterable[queries.ApplicationRow]) -> int:
    sheet = book.sheet("Applications", "Applications received or decided in the period (no names, emails or SSNs)",
                       APPLICATION_COLUMNS)
    count = 0
    for r in rows:
        sheet.append([r.program, r.reference, r.account, r.kind, r.purpose, r.channel, r.submitted_on, r.decided_on,
                      r.days_to_decision, r.outcome, r.reason, "yes" if r.assisted else "no", r.language])
        count += 1
    return count


DENIAL_COLUMNS = [Column("Program", width=10), Column("Reason", width=30), Column("Denials", INTEGER),
                  Column("Share of the program's denials", PERCENT, 18)]


def _denials(book: ParticipationWorkbook, rows: list[queries.DenialRow]) -> None:
    sheet = book.sheet("Denials", "Denials by reason and program (by decision date)", DENIAL_COLUMNS)
    for r in rows:
        sheet.append([r.program, r.reason, r.count, r.share])


CREDIT_COLUMNS = [Column("Program", width=10), Column("Month", width=10), Column("Benefit credits ($)", CURRENCY, 16),
                  Column("Reversals ($)", CURRENCY, 16), Column("Rebate credits ($)", CURRENCY, 16),
                  Column("Net ($)", CURRENCY, 16)]


def _credits(book: ParticipationWorkbook, rows: list[queries.CreditRow]) -> None:
    sheet = book.sheet("Credits", "Credits on accounts by program and month (by posting date)", CREDIT_COLUMNS)
    for r in rows:
        sheet.append([r.program, r.month, money(r.benefits_cents), money(r.reversals_cents), money(r.rebates_cents),
                      money(r.net_cents)])


REBATE_COLUMNS = [Column("Program", width=10), Column("Measure", width=24), Column("Applications", INTEGER),
                  Column("Units or area", INTEGER), Column("Paid ($)", CURRENCY), Column("Committed ($)", CURRENCY),
                  Column("Average per claim ($)", CURRENCY), Column("Water saved per year (gallons)", INTEGER),
                  Column("Water saved over the measure's life (acre-feet)", "0.00"),
                  Column("Cost per acre-foot ($)", CURRENCY), Column("Savings source", width=30)]


def _rebates(book: ParticipationWorkbook) -> None:
    book.sheet("Rebates", "Rebates by measure (fills once rebate applications exist)", REBATE_COLUMNS)


DEFINITION_COLUMNS = [Column("Figure", width=34), Column("Sheet", width=16), Column("Definition", width=110)]

DEFINITIONS = [
    ("Period", "all", "Business dates in the utility's time zone (ASSIST_TIMEZONE), both ends inclusive."),
    ("Test records", "all", "Accounts and applications marked as test records (the demo's data, training cases) "
                            "are left out of every figure, with their enrollments and credits."),
    ("Enrolled at start", "Summary", "Enrollments whose benefit had started and not ended at the end of the day "
                                     "before the period (enrolled_from before the period, no end or an end on or "
                                     "after its first day)."),
    ("Enrolled at end", "Summary", "Enrollments in force at the end of the period's last day; equals enrolled at "
                                   "start + new - ended."),
    ("New", "Summary, Monthly", "Enrollments whose benefit started in the period, by how the household came in "
                                "(online by the customer, assisted by staff, agency file / auto-enrolled) and by what "
                                "qualified it (a categorical program or income); each total is the same."),
    ("Recertified", "Summary, Monthly", "Renewal applications approved in the period (by decision date)."),
    ("Ended", "Summary, Monthly", "Enrollments whose benefit stopped in the period: no renewal (expired at the end "
                                  "of grace), other reasons (closed account, opted out, ended by staff), removed "
                                  "after post-enrollment verification."),
    ("Received", "Summary", "Programs applied for on applications submitted in the period (by submission date)."),
    ("Approved, Denied", "Summary, Monthly, Denials", "Program decisions made in the period (by decision date)."),
    ("Pending at end", "Summary", "Programs applied for by the end of the period and not decided by then."),
    ("Median days to decision", "Summary", "Median of decision date minus submission date over the period's "
                                           "decisions."),
    ("Benefits credited", "Summary, Credits", "Benefit credits posted to accounts in the period (by posting date); "
                                              "reversals of them are shown apart, as negative amounts."),
    ("Change from prior month", "Monthly", "(ending - beginning) / beginning. The explanation names the largest "
                                           "cause when the count moved by 5% or more."),
    ("Penetration rate", "Penetration", "Enrolled at the end of the period / the estimated eligible households for "
                                        "the year of the period's end (loaded with `reports eligible-estimates load`); "
                                        "gap = eligible - enrolled."),
    ("Small cells", "Penetration", "Counts below 11 in a ZIP code are shown as \"<11\", and that row's rate and gap "
                                   "are left blank, unless identified figures were asked for and allowed."),
    ("Due", "Recertification", "Renewals that came due in the period: completed in time + late + dropped for no "
                               "response (from the enrollment's history)."),
    ("Selected, verified, removed", "Recertification", "Post-enrollment verification requests made, passed and "
                                                       "failed in the period; responded = verification replies "
                                                       "submitted in the period; pending = requests open now."),
    ("Application rows", "Applications", "One row per program on each application received or decided in the "
                                         "period; the Application column is an opaque id (the same in every "
                                         "report) unless identified rows were asked for and allowed."),
    ("Continuation", "all", "A sheet that would pass Excel's 1,048,576 rows continues on \"<name> (2)\"."),
    ("Rebates", "Rebates", "Fills once rebate applications exist; no rebate program takes applications yet."),
]


def _definitions(book: ParticipationWorkbook, vintage: list[tuple[str, str, datetime]]) -> None:
    sheet = book.sheet("Definitions", "Definitions: every figure's formula, the exclusions, the data's vintage",
                       DEFINITION_COLUMNS, autofilter=False)
    for row in DEFINITIONS:
        sheet.append(list(row))
    sheet.append(["Data as of", "all", book.title_lines()[1].split(": ", 1)[1]])
    for code, source, loaded in vintage:
        sheet.append([f"Eligible estimates, {code}", "Penetration",
                      f"{source} (loaded {loaded.astimezone(clock.clock().tz).strftime('%Y-%m-%d')})"])


def build(session, out, *, period: queries.Period, programs: list[queries.ProgramRow], secret: str,
          identified: bool = False, max_rows: int = EXCEL_MAX_ROWS,
          progress: Callable[[dict], None] | None = None) -> BuildResult:
    """Query and write the whole workbook to `out` (a path or a binary file)."""
    ids = [p.id for p in programs]
    tracker = Progress(callback=progress)
    figures = queries.figures(session, programs, period)
    book = ParticipationWorkbook(period, programs, as_of=figures.as_of, max_rows=max_rows, progress=tracker)
    tracker.total_rows = queries.count_application_rows(session, ids, period) + len(figures.monthly) + 100
    tracker.tick(force=True)
    _summary(book, figures)
    _monthly(book, figures)
    _penetration(book, queries.penetration_rows(session, programs, period), exact=identified)
    _recertification(book, queries.recertification_rows(session, programs, period))
    applications = _applications(book, queries.application_rows(session, ids, period, secret=secret,
                                                                 identified=identified))
    _denials(book, queries.denial_rows(session, programs, period))
    _credits(book, queries.credit_rows(session, programs, period))
    _rebates(book)
    _definitions(book, queries.estimate_vintage(session, ids, period.end.year))
    names = book.save(out)
    tracker.tick(force=True)
    return BuildResult(sheets=names, rows=tracker.rows_written, applications=applications, figures=figures)
