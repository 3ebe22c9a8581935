"""Tabular files in: CSV or XLSX read as (line number, row) pairs, and the one error that refuses a
whole file naming every bad line (`FileRefused`). Imports of the CIS and partner agencies' files
read through here, so a line number means the same line in every message. Files out: formula-safe
cells (`safe_cell`) and the deterministic one-sheet workbook (`write_xlsx`) of the credit files and
the rebate check batches.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Iterator


@dataclass
class LineError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


class FileRefused(Exception):
    """The file has bad lines; nothing of it may be applied. `errors` name every one (a `LineError`
    or its text), the header being line 1."""

    def __init__(self, errors: list) -> None:
        super().__init__("; ".join(str(e) for e in errors[:5]))
        self.errors = errors


def cell_text(value) -> str:
    """Spreadsheet cells come typed; turn them back into the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f") if value == value else ""
    return str(value).strip()


@contextmanager
def read_rows(path: Path) -> Iterator[tuple[list[str], Iterator[tuple[int, dict]]]]:
    """The header (lower-cased) and (line number, row) pairs of a CSV or XLSX file."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = workbook.worksheets[0].iter_rows(values_only=True)
            header = [cell_text(h).lower() for h in next(rows, ())]

            def xlsx_rows():
                for line, values in enumerate(rows, start=2):
                    if values is None or all(v is None or v == "" for v in values):
                        continue
                    yield line, {header[i]: cell_text(v) for i, v in enumerate(values) if i < len(header)}

            yield header, xlsx_rows()
        finally:
            workbook.close()
        return

    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [h.strip().lower() for h in next(reader, [])]

        def csv_rows():
            for values in reader:
                if not any(v.strip() for v in values):
                    continue
                yield reader.line_num, {header[i]: v for i, v in enumerate(values) if i < len(header)}

        yield header, csv_rows()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- files out: cells no spreadsheet runs as a formula, workbooks with the same bytes every time ---

# What makes a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@")
# Line breaks, tabs and other control characters (C0, DEL, C1, the Unicode line and paragraph
# separators) would split a row or a cell for whoever reads the file; each run becomes one space.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def clean_text(value) -> str:
    """Text with every control character replaced by a space."""
    text = "" if value is None else str(value)
    return _CONTROL.sub(" ", text)


def safe_cell(value) -> str:
    """Free text for a CSV cell: control characters become spaces, and text a spreadsheet would run
    as a formula is written as text (a leading apostrophe)."""
    text = clean_text(value)
    return "'" + text if text[:1] in FORMULA_START else text


def write_xlsx(title: str, header: list, rows: Iterable[list], stamp: datetime) -> bytes:
    """A one-sheet workbook whose bytes depend only on its content and `stamp` (the file's own time):
    text cells are text, never formulas (formula-looking text gets a quote prefix), decimals show two
    places, and the zip's member times and `modified` are `stamp`."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for cells in sheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str):
                if cell.value[:1] in FORMULA_START:
                    cell.quotePrefix = True
                cell.data_type = "s"  # never a formula
            elif isinstance(cell.value, Decimal):
                cell.number_format = "0.00"
    stamp = stamp.replace(tzinfo=None, microsecond=0)
    workbook.properties.created = workbook.properties.modified = stamp
    workbook.properties.creator = "Assist"
    raw = io.BytesIO()
    workbook.save(raw)
    return fixed_zip(raw.getvalue(), stamp)


def fixed_zip(data: bytes, stamp: datetime) -> bytes:
    """Rewrite a zip with fixed member times so the same content gives the same bytes.

    openpyxl stamps docProps/core.xml's `modified` with the time of saving; it becomes `stamp`.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    when = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(max(stamp.year, 1980), stamp.month, stamp.day,
                                                              stamp.hour, stamp.minute, stamp.second))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                 lambda m: m.group(1) + when + m.group(2), content)
            target.writestr(fixed, content)
    return out.getvalue()
