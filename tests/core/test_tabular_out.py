"""Files out (credit files, rebate check batches): formula-safe cells and workbooks with fixed bytes."""
from __future__ import annotations

import io
from datetime import datetime, timezone
from decimal import Decimal

from openpyxl import load_workbook

from core import tabular


def test_formula_looking_text_is_written_as_text():
    assert tabular.safe_cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert tabular.safe_cell("@SUM(A1)\r\n") == "'@SUM(A1) "
    assert tabular.safe_cell("\t+1") == " +1"   # a control character becomes a space, so no way in
    assert tabular.safe_cell(None) == "" and tabular.safe_cell("Rosa") == "Rosa"


def test_the_same_rows_make_the_same_bytes_and_no_cell_is_a_formula():
    stamp = datetime(2026, 12, 2, 6, 0, 5, 123, tzinfo=timezone.utc)
    rows = [["=1+1", Decimal("12.50"), 7], ["-2", Decimal("0.01"), None]]
    first = tabular.write_xlsx("Batch 1", ["text", "amount", "n"], rows, stamp)
    assert first == tabular.write_xlsx("Batch 1", ["text", "amount", "n"], rows, stamp)
    sheet = load_workbook(io.BytesIO(first)).active
    assert sheet.title == "Batch 1"
    assert sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s" and sheet["A2"].quotePrefix
    assert sheet["B2"].number_format == "0.00"
