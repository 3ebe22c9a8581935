"""Credit files for the CIS: one batch of what was not sent, identical bytes again, formulas as text,
and the CIS's answer with its refusals."""
from __future__ import annotations

import csv
import io
import json

from openpyxl import load_workbook
from sqlalchemy import select

from tests.accounts.test_imports import write_csv
from tests.factories import make_account, make_user


def _post(session, account, cents, key, reason="CARE discount"):
    from accounts import service

    entry, _ = service.post_entry(session, account=account, amount_cents=cents, kind="discount",
                                  idempotency_key=key, reason=reason)
    return entry


def _export(app, out, *extra):
    result = app.test_cli_runner().invoke(args=["credits", "export", "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def test_export_writes_one_batch_and_marks_it_sent(app, db_session, tmp_path):
    account = make_account(db_session)
    first = _post(db_session, account, 2945, "f1")
    second = _post(db_session, account, -500, "f2")
    db_session.commit()
    batch = _export(app, tmp_path)
    assert batch["entries"] >= 2
    rows = list(csv.reader(io.StringIO((tmp_path / f"credits-{batch['batch']:06d}.csv").read_text())))
    assert rows[0] == ["ENTRY_ID", "ACCOUNT", "AMOUNT", "TYPE", "PERIOD_START", "PERIOD_END", "REASON"]
    ours = {r[0]: r for r in rows[1:] if r[0] in (str(first.id), str(second.id))}
    assert ours[str(first.id)][1:4] == [account.number, "29.45", "discount"]
    assert ours[str(second.id)][2] == "-5.00"  # numbers stay numbers
    assert _export(app, tmp_path) == {"batch": None, "entries": 0}


def test_re_exporting_a_batch_gives_identical_bytes(app, db_session, tmp_path, clock, monkeypatch):
    from datetime import timedelta

    account = make_account(db_session)
    _post(db_session, account, 1234, "r1")
    db_session.commit()
    batch = _export(app, tmp_path / "first")
    clock.advance(timedelta(days=3))
    # openpyxl stamps the save time into the workbook; a later save must still give the same bytes
    import datetime as real_datetime

    import openpyxl.writer.excel as excel_writer

    class Later(real_datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return real_datetime.datetime(2031, 1, 2, 3, 4, 5, tzinfo=tz)

    monkeypatch.setattr(excel_writer.datetime, "datetime", Later)
    again = _export(app, tmp_path / "again", "--batch", str(batch["batch"]))
    for suffix in ("csv", "xlsx"):
        name = f"credits-{batch['batch']:06d}.{suffix}"
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "again" / name).read_bytes()
    assert again["sha256"] == batch["sha256"]


def test_formula_looking_text_is_written_as_text(app, db_session, tmp_path):
    account = make_account(db_session, customer_name="=HYPERLINK(\"http://evil\")")
    entry = _post(db_session, account, 700, "x1", reason="=1+1 @SUM(A1) -2 +3")
    db_session.commit()
    batch = _export(app, tmp_path)
    rows = list(csv.reader(io.StringIO((tmp_path / f"credits-{batch['batch']:06d}.csv").read_text())))
    line = next(r for r in rows if r[0] == str(entry.id))
    assert line[6] == "'=1+1 @SUM(A1) -2 +3"
    workbook = load_workbook(tmp_path / f"credits-{batch['batch']:06d}.xlsx")
    sheet = workbook.active
    cell = next(row[6] for row in sheet.iter_rows(min_row=2) if row[0].value == entry.id)
    assert cell.value == "=1+1 @SUM(A1) -2 +3" and cell.data_type == "s"
    workbook.close()


def test_the_utility_configures_the_columns(app, db_session, tmp_path):
    account = make_account(db_session)
    _post(db_session, account, 2500, "layout-1")
    db_session.commit()
    app.config["CREDIT_EXPORT_COLUMNS"] = "ACCT=account_number,CENTS=amount_cents,ID=entry_id"
    try:
        batch = _export(app, tmp_path)
    finally:
        app.config["CREDIT_EXPORT_COLUMNS"] = None
    text = (tmp_path / f"credits-{batch['batch']:06d}.csv").read_text()
    assert text.splitlines()[0] == "ACCT,CENTS,ID"
    assert f"{account.number},2500," in text


def test_ack_records_the_cis_answer_and_queues_refusals_for_a_csr(app, client, db_session, tmp_path):
    from accounts import service
    from accounts.models import CreditBatchItem
    from tests.conftest import login, post_form

    account = make_account(db_session)
    good = _post(db_session, account, 2000, "ack-1")
    bad = _post(db_session, account, 3000, "ack-2")
    db_session.commit()
    batch = _export(app, tmp_path)
    others = db_session.scalars(select(CreditBatchItem.entry_id).where(CreditBatchItem.batch_id == batch["batch"])).all()
    rows = [[good.id, "accepted", ""], [bad.id, "rejected", "account is in collections"]]
    rows += [[i, "accepted", ""] for i in others if i not in (good.id, bad.id)]
    ack = write_csv(tmp_path / "ack.csv", ["entry_id", "status", "reason"], rows)
    result = app.test_cli_runner().invoke(args=["credits", "ack", str(batch["batch"]), str(ack)])
    assert result.exit_code == 0, result.output
    assert '"rejected": 1' in result.output
    states = {line.entry.id: (line.cis_state, line.cis_reason) for line in service.ledger(db_session, account)}
    assert states[good.id] == ("accepted", None)
    assert states[bad.id] == ("rejected", "account is in collections")

    csr = make_user(db_session, "csr")
    login(client, csr.email)
    page = client.get("/staff/credits").get_data(as_text=True)
    assert "account is in collections" in page
    item = service.rejected_items(db_session)[0]
    post_form(client, f"/staff/credits/rejected/{item.id}", {"action": "resend", "reason": "fixed in the CIS"})
    assert service.rejected_items(db_session) == []
    again = _export(app, tmp_path / "next")
    assert again["entries"] == 1 and again["total_cents"] == 3000


def test_a_bad_ack_line_applies_nothing(app, db_session, tmp_path):
    from accounts import service

    account = make_account(db_session)
    entry = _post(db_session, account, 2000, "ack-bad")
    db_session.commit()
    batch = _export(app, tmp_path)
    ack = write_csv(tmp_path / "ack.csv", ["entry_id", "status", "reason"],
                    [[entry.id, "accepted", ""], [999999999, "rejected", "no such"]])
    result = app.test_cli_runner().invoke(args=["credits", "ack", str(batch["batch"]), str(ack)])
    assert result.exit_code != 0 and "line 3, entry_id: '999999999' is not in batch" in result.output
    assert {line.entry.id: line.cis_state for line in service.ledger(db_session, account)}[entry.id] == "pending"


def test_control_characters_never_reach_a_cell_and_identifiers_stay_identifiers(app, db_session, tmp_path):
    account = make_account(db_session, number="-0042-77")
    entry = _post(db_session, account, 900, "ctl-1",
                  reason="Leak credit\r\nper plumber\tinvoice\x0b\x1b[31m\u2028done\x85")  # no NUL: PostgreSQL refuses it in text
    db_session.commit()
    batch = _export(app, tmp_path)
    raw = (tmp_path / f"credits-{batch['batch']:06d}.csv").read_bytes()
    rows = list(csv.reader(io.StringIO(raw.decode())))
    line = next(r for r in rows if r[0] == str(entry.id))
    assert line[1] == "-0042-77"                                  # an identifier, as the CIS knows it
    assert line[6] == "Leak credit per plumber invoice [31m done "
    assert raw.count(b"\r\n") == len(rows)                        # one line per row
    assert not any(ch in raw.decode() for ch in "\x00\x0b\x1b\t\u2028\x85")
    workbook = load_workbook(tmp_path / f"credits-{batch['batch']:06d}.xlsx")
    cell = next(row[6] for row in workbook.active.iter_rows(min_row=2) if row[0].value == entry.id)
    assert cell.value == "Leak credit per plumber invoice [31m done " and cell.data_type == "s"
    workbook.close()


def test_a_batch_written_before_the_cell_rules_changed_is_written_again_as_it_was(app, db_session, tmp_path):
    from accounts import service
    from accounts.models import CreditBatch

    account = make_account(db_session, number="-0099-1")
    _post(db_session, account, 1200, "ctl-old", reason="first line\nsecond line")
    db_session.commit()
    batch = _export(app, tmp_path / "new")
    row = db_session.get(CreditBatch, batch["batch"])
    row.cell_rules = 1  # as every batch before the change was written
    first_bytes = service.render_csv(db_session, row)
    row.csv_sha256 = __import__("hashlib").sha256(first_bytes).hexdigest()
    db_session.commit()
    assert b"'-0099-1" in first_bytes and b"first line\nsecond line" in first_bytes
    again = _export(app, tmp_path / "again", "--batch", str(batch["batch"]))
    assert (tmp_path / "again" / f"credits-{batch['batch']:06d}.csv").read_bytes() == first_bytes
    assert again["sha256"] == row.csv_sha256


def test_every_control_character_becomes_a_space_and_formulas_stay_text():
    from accounts import rules

    assert rules.safe_cell("=SUM(A1)\x00\r\n-1") == "'=SUM(A1) -1"
    assert rules.safe_cell("\t=1+1") == " =1+1"                     # a leading tab is no longer a way in
    assert rules.csv_cell("account_number", "-0042") == "-0042"
    assert rules.csv_cell("reason", "-0042") == "'-0042"
    assert rules.csv_cell("amount", "-5.00") == "-5.00"
    assert all(rules.clean_text(chr(c)) == " " for c in [*range(0x20), *range(0x7f, 0xa0), 0x2028, 0x2029])
