"""`rebates products import`: CSV or XLSX, all or nothing, dated versions, withdrawn models."""
from __future__ import annotations

import csv
import json

import pytest
from sqlalchemy import func, select

from core.audit import Actor, acting_as
from rebates import service
from rebates.models import ProductListModel, ProductListVersion
from tests.rebates.helpers import write

HEADER = ["brand", "model_number", "gpf", "map_grams"]


def csv_file(tmp_path, rows, name="list.csv"):
    path = tmp_path / name
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return str(path)


def xlsx_file(tmp_path, rows, name="list.xlsx"):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    workbook.save(path)
    return str(path)


def _import(app, path, *extra):
    return app.test_cli_runner().invoke(args=["rebates", "products", "import", path, "--list", "WS-TOILETS", *extra])


def _program(app, tmp_path):
    toilet = {"code": "TOILET", "name": {"en": "Toilet", "es": "Inodoro"}, "qualified_products": "WS-TOILETS",
              "amount": {"kind": "by_attribute", "attribute": "gpf",
                         "bands": [{"max": "0.8", "amount": "200.00"}, {"max": "1.28", "amount": "100.00"}]}}
    document = {"programs": [{"code": "WS-TEST", "name": {"en": "T", "es": "T"}, "versions": [
        {"label": "2024", "effective_from": "2024-01-01", "source": "test", "measures": [toilet]}]}]}
    assert app.test_cli_runner().invoke(args=["rebates", "load", write(tmp_path, document)]).exit_code == 0


def _quote(app, model, purchased):
    body = {"program": "WS-TEST", "applied_on": purchased, "items": [
        {"measure": "TOILET", "quantity": 1, "model": model, "purchased_on": purchased}]}
    return json.loads(app.test_cli_runner().invoke(args=["rebates", "quote"], input=json.dumps(body)).stdout)["items"][0]


def test_versions_by_date_and_a_withdrawn_model(app, db_session, tmp_path):
    _program(app, tmp_path)
    first = _import(app, csv_file(tmp_path, [["Acme", "AB-100 X", "0.8", "1000"], ["Acme", "CD-200", "1.28", ""]]),
                    "--effective-from", "2025-01-01", "--source", "EPA WaterSense, January 2025")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {"list": "WS-TOILETS", "version": 1, "effective_from": "2025-01-01",
                                        "models": 2, "withdrawn": 0, "created_list": True, "unchanged": False}
    second = _import(app, xlsx_file(tmp_path, [["Acme", "CD-200", 1.28, None]]), "--effective-from", "2026-04-01")
    assert json.loads(second.stdout)["withdrawn"] == 1
    assert _quote(app, "ab 100x", "2024-06-01")["amount_cents"] == 20000      # before the first: the first
    assert _quote(app, "AB100X", "2026-03-31")["amount_cents"] == 20000       # the list's gpf counts
    assert _quote(app, "AB-100 X", "2026-04-01")["reasons"] == ["not_qualified_product"]  # withdrawn that day
    assert _quote(app, "cd-200", "2026-04-01")["amount_cents"] == 10000


def test_the_same_file_again_changes_nothing(app, db_session, tmp_path):
    path = csv_file(tmp_path, [["Acme", "AB-1", "0.8", "1000"]])
    assert _import(app, path, "--effective-from", "2025-01-01").exit_code == 0
    again = _import(app, path, "--effective-from", "2025-01-01")
    assert json.loads(again.stdout)["unchanged"] is True
    assert db_session.scalar(select(func.count()).select_from(ProductListVersion)) == 1


def test_bad_lines_are_named_and_nothing_is_imported(app, db_session, tmp_path):
    path = csv_file(tmp_path, [["Acme", "AB-1", "0.8", ""], ["", "AB-2", "x", ""], ["Acme", "ab 1", "1.1", ""]])
    result = _import(app, path)
    assert result.exit_code == 1
    assert "line 3, brand: empty" in result.stderr
    assert "line 3, gpf: 'x' is not a number" in result.stderr
    assert "line 4, model_number: ab 1 is already on line 2" in result.stderr
    assert db_session.scalar(select(func.count()).select_from(ProductListModel)) == 0


def test_a_missing_column_is_named(app, db_session, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("maker,model\nAcme,AB-1\n")
    result = _import(app, str(path))
    assert result.exit_code == 1 and "line 1, brand: missing column" in result.stderr


def test_default_date_is_today(app, db_session, tmp_path, clock):
    acting_as(Actor(label="test"))
    result = _import(app, csv_file(tmp_path, [["Acme", "AB-1", "0.8", ""]]))
    assert json.loads(result.stdout)["effective_from"] == clock.today().isoformat()
    plist = service.get_list(db_session, "WS-TOILETS")
    assert [v.number for v in plist.versions] == [1]


def test_list_versions_cannot_be_edited(app, db_session, tmp_path):
    from sqlalchemy import update
    from sqlalchemy.exc import DatabaseError

    assert _import(app, csv_file(tmp_path, [["Acme", "AB-1", "0.8", ""]])).exit_code == 0
    with pytest.raises(DatabaseError):
        with db_session.begin_nested():
            db_session.execute(update(ProductListModel).values(model_number="ZZ"))
    with pytest.raises(DatabaseError):
        with db_session.begin_nested():
            db_session.execute(update(ProductListVersion).values(models_count=0))
