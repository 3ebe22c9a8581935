"""`flask --app app documents parse FILE...`: one line of JSON per file, in order, no database."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT
from tests.documents import fixtures as fx

FIELDS = {"file", "status", "document_type", "layout", "tax_year", "ssn_last4", "name_control", "filing_status",
          "exemptions", "return_filed", "tracking_number", "amounts_cents", "evidence", "problems"}


def test_parse_prints_one_line_per_file_without_a_database(tmp_path):
    good = tmp_path / "return.pdf"
    good.write_bytes(fx.render(fx.tax_return_transcript(fx.Taxpayer(), {"adjusted_gross_income": 3_121_250,
                                                                          "wages": 3_120_000}, fx.Style("current"))))
    renamed = tmp_path / "photo.pdf"
    renamed.write_bytes(fx.png_bytes())
    missing = tmp_path / "missing.pdf"
    env = dict(os.environ, DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none",
               ASSIST_INSTANCE_PATH=str(tmp_path / "instance"))
    completed = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "documents", "parse", str(good),
                                str(renamed), str(missing)], cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=120)
    assert completed.returncode == 0, completed.stderr
    lines = [json.loads(line) for line in completed.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(good), str(renamed), str(missing)]
    first = lines[0]
    assert FIELDS <= set(first)
    assert first["status"] == "parsed" and first["document_type"] == "tax_return_transcript"
    assert first["layout"] == "current" and first["tax_year"] == 2023 and first["filing_status"] == "single"
    assert first["amounts_cents"] == {"adjusted_gross_income": 3_121_250, "wages": 3_120_000}
    assert first["evidence"]["wages"]["page"] == 1 and "$31,200.00" in first["evidence"]["wages"]["line"]
    assert (lines[1]["status"], lines[1]["problems"][0]["code"]) == ("rejected", "extension_mismatch")
    assert (lines[2]["status"], lines[2]["problems"][0]["code"]) == ("rejected", "unreadable")
