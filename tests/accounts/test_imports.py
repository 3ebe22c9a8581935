"""CIS imports: idempotent, all-or-nothing, with the bad line and field named."""
from __future__ import annotations

import csv
from datetime import date

import pytest
from sqlalchemy import func, select

ACCOUNT_HEADER = ["account_number", "customer_name", "service_address", "city", "zip", "services", "status",
                  "meter_type", "last_bill_amount"]
BILL_HEADER = ["account_number", "bill_id", "period_start", "period_end", "service", "charges", "cancels_bill_id"]


def write_csv(path, header, rows):
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def account_rows(prefix="IMP", n=3, status="active"):
    return [[f"{prefix}{i:04d}", f"Customer {i}", f"{i} Main St", "Alameda", "94501", "electric;water", status,
             "individual", f"{80 + i}.17"] for i in range(n)]


def _run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_accounts_import_is_idempotent(app, db_session, tmp_path):
    from accounts.models import Account

    path = write_csv(tmp_path / "accounts.csv", ACCOUNT_HEADER, account_rows())
    first = _run(app, "accounts", "import", str(path))
    assert first.exit_code == 0, first.output
    assert '"created": 3' in first.output
    again = _run(app, "accounts", "import", str(path))
    assert '"created": 0, "updated": 0, "unchanged": 3' in again.output
    account = db_session.scalar(select(Account).where(Account.number == "IMP0001"))
    assert account.last_bill_amount_cents == 8117 and account.services == "electric;water"


def test_an_import_that_closes_an_account_is_recorded(app, db_session, tmp_path):
    from accounts.models import Account, AccountClosure

    write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, account_rows("CLS"))
    _run(app, "accounts", "import", str(tmp_path / "a.csv"))
    rows = account_rows("CLS")
    rows[1][6] = "closed"
    result = _run(app, "accounts", "import", str(write_csv(tmp_path / "b.csv", ACCOUNT_HEADER, rows)))
    assert '"updated": 1' in result.output and '"closed": 1' in result.output
    closed = db_session.scalar(select(Account).where(Account.number == "CLS0001"))
    closure = db_session.scalar(select(AccountClosure).where(AccountClosure.account_id == closed.id))
    assert closed.status == "closed" and closure.handled_at is not None  # nothing enrolled to end


@pytest.mark.parametrize("line_no, column, value, message", [
    (3, 4, "9450", "zip: '9450' is not a ZIP code"),
    (4, 8, "84.1.7", "last_bill_amount: '84.1.7' is not an amount"),
    (2, 5, "electric;gas", "services: gas is not one of"),
    (4, 6, "open", "status: 'open' is not active or closed"),
])
def test_a_bad_row_applies_nothing_and_names_its_line_and_field(app, db_session, tmp_path, line_no, column, value,
                                                                 message):
    from accounts.models import Account

    before = _count(db_session, Account)
    rows = account_rows("BAD")
    rows[line_no - 2][column] = value
    result = _run(app, "accounts", "import", str(write_csv(tmp_path / "bad.csv", ACCOUNT_HEADER, rows)))
    assert result.exit_code != 0
    assert f"line {line_no}, {message}" in result.output
    assert "nothing from bad.csv was applied" in result.output
    assert _count(db_session, Account) == before


def test_a_missing_column_is_reported_on_line_one(app, db_session, tmp_path):
    header = [h for h in ACCOUNT_HEADER if h != "meter_type"]
    rows = [r[:7] + r[8:] for r in account_rows("COL")]
    result = _run(app, "accounts", "import", str(write_csv(tmp_path / "c.csv", header, rows)))
    assert result.exit_code != 0 and "line 1, meter_type: column is missing" in result.output


def test_a_duplicate_account_in_one_file_is_refused(app, db_session, tmp_path):
    rows = account_rows("DUP")
    rows.append(list(rows[0]))
    result = _run(app, "accounts", "import", str(write_csv(tmp_path / "d.csv", ACCOUNT_HEADER, rows)))
    assert result.exit_code != 0 and "line 5, account_number: DUP0000 is already on line 2" in result.output


def test_accounts_import_reads_xlsx(app, db_session, tmp_path):
    from openpyxl import Workbook

    from accounts.models import Account

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(ACCOUNT_HEADER)
    sheet.append(["XLS0001", "Ana Lopez", "9 Pine St", "Seattle", 98118, "water;wastewater", "active", "master", 84.17])
    sheet.append(["XLS0002", "Wei Chen", "10 Pine St", "Seattle", "02134", "electric", "active", "individual", "12"])
    workbook.save(tmp_path / "accounts.xlsx")
    result = _run(app, "accounts", "import", str(tmp_path / "accounts.xlsx"))
    assert result.exit_code == 0, result.output
    first = db_session.scalar(select(Account).where(Account.number == "XLS0001"))
    assert (first.zip, first.last_bill_amount_cents, first.meter_type) == ("98118", 8417, "master")
    assert db_session.scalar(select(Account.zip).where(Account.number == "XLS0002")) == "02134"


def _bills(app, tmp_path, name, rows):
    return _run(app, "bills", "import", str(write_csv(tmp_path / name, BILL_HEADER, rows)))


def test_bills_import_with_cancel_and_rebill(app, db_session, tmp_path):
    from accounts.models import Bill

    _run(app, "accounts", "import", str(write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, account_rows("BIL"))))
    rows = [["BIL0000", "X-1", "2026-01-01", "2026-01-31", "electric", "120.50", ""],
            ["BIL0000", "X-2", "2026-02-01", "2026-02-28", "electric", "99.99", ""]]
    assert '"created": 2' in _bills(app, tmp_path, "b1.csv", rows).output
    assert '"unchanged": 2' in _bills(app, tmp_path, "b1.csv", rows).output
    rebill = rows + [["BIL0000", "X-2R", "2026-02-01", "2026-02-28", "electric", "89.99", "X-2"]]
    result = _bills(app, tmp_path, "b2.csv", rebill)
    assert result.exit_code == 0 and '"created": 1' in result.output
    assert db_session.scalar(select(Bill.cancels_bill_id).where(Bill.bill_id == "X-2R")) == "X-2"
    assert db_session.scalar(select(Bill.period_start).where(Bill.bill_id == "X-1")) == date(2026, 1, 1)


@pytest.mark.parametrize("row, message", [
    (["NOPE", "Y-1", "2026-01-01", "2026-01-31", "electric", "1.00", ""], "line 3, account_number: no account NOPE"),
    (["BIL0000", "Y-1", "2026-01-31", "2026-01-01", "electric", "1.00", ""], "line 3, period_end: is before period_start"),
    (["BIL0000", "Y-1", "2026-01-01", "2026-01-31", "electric", "1.00", "Z-9"], "line 3, cancels_bill_id: no bill Z-9"),
    (["BIL0000", "X-1", "2026-01-01", "2026-01-31", "electric", "999.00", ""], "line 3, bill_id: bill X-1 was imported before"),
    (["BIL0000", "Y-1", "01/31/2026", "2026-01-31", "water", "1.00", ""], "line 3, period_start: '01/31/2026' is not a date"),
])
def test_bad_bills_apply_nothing(app, db_session, tmp_path, row, message):
    from accounts.models import Bill

    _run(app, "accounts", "import", str(write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, account_rows("BIL"))))
    _bills(app, tmp_path, "b0.csv", [["BIL0000", "X-1", "2026-01-01", "2026-01-31", "electric", "120.50", ""]])
    before = _count(db_session, Bill)
    good = ["BIL0001", "OK-1", "2026-01-01", "2026-01-31", "water", "10.00", ""]
    result = _bills(app, tmp_path, "bad.csv", [good, row])
    assert result.exit_code != 0
    assert message in result.output
    assert _count(db_session, Bill) == before
