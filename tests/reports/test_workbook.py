"""The participation workbook, built from a seeded database and read back with openpyxl."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from reports import queries, workbook
from tests.reports.seed import FROM, TO, seed

SHEETS = ["Summary", "Monthly", "Penetration", "Recertification", "Applications", "Denials", "Credits", "Rebates",
          "Definitions"]


@pytest.fixture
def world(db_session):
    return seed(db_session)


def _build(db_session, path, codes=("CARE", "FERA"), **kwargs):
    programs = queries.programs(db_session, codes)
    return workbook.build(db_session, path, period=queries.Period(FROM, TO), programs=programs, secret="s", **kwargs)


def _table(ws):
    """The detail table: the header row and the rows under it, up to the first blank row."""
    rows = list(ws.iter_rows(min_row=workbook.HEADER_ROW, values_only=True))
    header, body = rows[0], []
    for row in rows[1:]:
        if all(v is None for v in row):
            break
        body.append(dict(zip(header, row)))
    return header, body


def test_every_sheet_with_its_title_rows_header_and_filter(db_session, world, tmp_path):
    path = tmp_path / "p.xlsx"
    result = _build(db_session, path)
    wb = load_workbook(path)
    assert wb.sheetnames == SHEETS == result.sheets
    for name in SHEETS:
        ws = wb[name]
        assert len(name) <= 31
        assert ws["A2"].value.startswith("Period: 2026-01-01 to 2026-06-30")
        assert ws["A3"].value.startswith("Data as of: ")
        assert ws["A4"].value == "Programs: CARE, FERA"
        assert ws.freeze_panes == f"A{workbook.HEADER_ROW + 1}"
        header, _ = _table(ws)
        if name != "Definitions":
            assert header[0] == "Program"
            assert ws.auto_filter.ref.startswith(f"A{workbook.HEADER_ROW}:")
    assert "fills once rebate applications exist" in wb["Rebates"]["A1"].value
    assert any("Rebates" == r["Figure"] for r in _table(wb["Definitions"])[1])


def test_summary_totals_equal_the_detail_sheets_and_the_api(db_session, world, tmp_path, app):
    path = tmp_path / "p.xlsx"
    _build(db_session, path)
    wb = load_workbook(path)
    summary = {r["Program"]: r for r in _table(wb["Summary"])[1]}
    monthly = _table(wb["Monthly"])[1]
    applications = _table(wb["Applications"])[1]
    denials = _table(wb["Denials"])[1]
    credits = _table(wb["Credits"])[1]
    for code, row in summary.items():
        mine = [m for m in monthly if m["Program"] == code]
        assert row["New: total"] == sum(m["New: online"] + m["New: assisted"] + m["New: agency file / auto-enrolled"]
                                        for m in mine)
        assert row["New: total"] == row["New: categorical"] + row["New: income"]
        assert row["Enrolled at start"] == mine[0]["Beginning count"]
        assert row["Enrolled at end"] == mine[-1]["Ending count"]
        assert row["Denied"] == sum(d["Denials"] for d in denials if d["Program"] == code)
        decided = [a for a in applications if a["Program"] == code and a["Decided"] is not None
                   and FROM <= a["Decided"].date() <= TO]
        assert row["Approved"] == sum(a["Outcome"] == "approved" for a in decided)
        assert row["Denied"] == sum(a["Outcome"] == "denied" for a in decided)
        assert Decimal(str(row["Benefits credited ($)"])) == sum(
            Decimal(str(c["Benefit credits ($)"])) for c in credits if c["Program"] == code)
    assert summary["CARE"]["Denied"] == 3 and summary["CARE"]["Enrolled at end"] == 4
    assert wb["Summary"].cell(row=workbook.HEADER_ROW + 1, column=22).number_format == workbook.CURRENCY


def test_native_charts_on_the_summary(db_session, world, tmp_path):
    path = tmp_path / "p.xlsx"
    _build(db_session, path)
    charts = load_workbook(path)["Summary"]._charts
    kinds = sorted(type(c).__name__ for c in charts)
    assert kinds == ["BarChart", "LineChart"]


def test_formula_injection_is_neutralized(db_session, world, tmp_path):
    path = tmp_path / "p.xlsx"
    _build(db_session, path)
    ws = load_workbook(path)["Denials"]
    cells = [c for row in ws.iter_rows(min_row=workbook.HEADER_ROW + 1) for c in row if c.value == "=cmd|' /C calc'!A0"]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)
    for sheet in load_workbook(path).worksheets:
        assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_test_records_and_personal_data_are_absent(db_session, world, tmp_path):
    path = tmp_path / "p.xlsx"
    _build(db_session, path, identified=True)
    text = {str(c.value) for ws in load_workbook(path).worksheets for row in ws.iter_rows() for c in row
            if c.value is not None}
    assert "T00000TEST" not in text and "test_reason" not in text
    assert not any("HYPERLINK" in t or "Rosa" in t for t in text)
    assert world.accounts[7].number in text  # identified rows carry the account number, as text


def test_a_long_sheet_continues_on_a_second(db_session, world, tmp_path):
    path = tmp_path / "p.xlsx"
    limit = workbook.HEADER_ROW + 5
    result = _build(db_session, path, max_rows=limit)
    wb = load_workbook(path)
    assert "Applications (2)" in wb.sheetnames
    first = _table(wb["Applications"])[1]
    second = _table(wb["Applications (2)"])[1]
    assert len(first) == 5 and len(first) + len(second) == result.applications == 10
    assert wb["Applications (2)"]["A1"].value.endswith("(continued, part 2)")


def test_penetration_suppresses_small_cells(db_session, world, tmp_path):
    from reports import service

    service.load_estimates(db_session, {"source": "Test estimates 2026", "estimates": [
        {"program": "CARE", "zip": "94501", "year": 2026, "households": 400},
        {"program": "CARE", "zip": "94509", "year": 2026, "households": 120}]})
    path = tmp_path / "p.xlsx"
    _build(db_session, path, codes=("CARE",))
    rows = {r["ZIP code"]: r for r in _table(load_workbook(path)["Penetration"])[1]}
    assert rows["94501"]["Estimated eligible households"] == 400
    assert rows["94501"]["Enrolled"] == "<11" and rows["94501"]["Penetration rate"] is None
    assert rows["94509"]["Enrolled"] == "<11" and rows["94509"]["Gap"] is None
    exact = tmp_path / "e.xlsx"
    _build(db_session, exact, codes=("CARE",), identified=True)
    rows = {r["ZIP code"]: r for r in _table(load_workbook(exact)["Penetration"])[1]}
    assert rows["94501"]["Enrolled"] == 2 and rows["94501"]["Penetration rate"] == pytest.approx(2 / 400)
    assert rows["94501"]["Gap"] == 398 and rows["94509"]["Enrolled"] == 0


def test_the_command_writes_the_workbook_and_an_audit_record(app, db_session, world, tmp_path):
    from sqlalchemy import select

    from core.audit import AuditRecord

    out = tmp_path / "cli.xlsx"
    result = app.test_cli_runner().invoke(args=["reports", "participation", "--from", "2026-01-01", "--to",
                                                "2026-06-30", "--program", "CARE", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["sheets"] == SHEETS
    assert load_workbook(out)["Summary"]["A4"].value == "Programs: CARE"
    record = db_session.scalars(select(AuditRecord).where(AuditRecord.action == "report.exported.participation")).all()[-1]
    assert record.details["parameters"]["programs"] == ["CARE"]
    bad = app.test_cli_runner().invoke(args=["reports", "participation", "--from", "2026-07-01", "--to",
                                             "2026-06-30", "--out", str(out)])
    assert bad.exit_code != 0 and "ends before it starts" in bad.output
    unknown = app.test_cli_runner().invoke(args=["reports", "participation", "--from", "2026-01-01", "--to",
                                                 "2026-06-30", "--program", "NOPE", "--out", str(out)])
    assert unknown.exit_code != 0 and "NOPE" in unknown.output
