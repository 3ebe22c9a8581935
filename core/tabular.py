"""Tabular files in: CSV or XLSX read as (line number, row) pairs, and the one error that refuses a
whole file naming every bad line (`FileRefused`). Imports of the CIS and partner agencies' files
read through here, so a line number means the same line in every message.
"""
from __future__ import annotations

import csv
import hashlib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Iterator


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
