"""Payments: bill credits through the ledger and `credits ack`, check batches and their answers, the W-9 hold."""
from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, text

from accounts.models import LedgerEntry
from core import crypto
from core.audit import Actor, AuditRecord, acting_as
from core.errors import Conflict, Invalid
from rebates import budgets, payments
from rebates.models import RebatePayment
from tests.factories import make_account, make_user
from tests.rebates.helpers import make_application, make_program

ADDRESS = {"name": "Rosa Diaz", "line1": "1234 Park St", "line2": "Apt 2", "city": "Alameda", "state": "ca",
           "zip": "94501"}


@pytest.fixture
def program(app, db_session):
    acting_as(Actor(label="test: csr", role="csr"))
    program = make_program(db_session)
    budgets.set_budget(db_session, program, 2027, 10_000_000)
    return program


def approved(db_session, program, cents, *, method="check", customer=None, account=None, address=ADDRESS):
    customer = customer or make_user(db_session, "customer")
    account = account or make_account(db_session)
    application = make_application(db_session, account=account, applicant=customer)
    budgets.hold(db_session, application.id, program, date(2026, 8, 1), cents)
    budgets.commit(db_session, application.id, cents)
    return payments.create_payment(db_session, application.id, program=program, account=account,
                                   customer_id=customer.id, method=method, cents=cents,
                                   mailing_address=address if method == "check" else None, on_date=date(2026, 8, 3))


def paid_cents(db_session, program):
    return next(b for b in budgets.overview(db_session) if b["program"] == program.code)["paid_cents"]


def _export(app, *args):
    result = app.test_cli_runner().invoke(args=["rebates", "payments", "export", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _ack(app, tmp_path, batch, lines, name="ack.csv"):
    path = tmp_path / name
    path.write_text("payment_id,status,check_number,reason\n" + "".join(line + "\n" for line in lines))
    return app.test_cli_runner().invoke(args=["rebates", "payments", "ack", str(batch), str(path)])


# --- bill credits ------------------------------------------------------------------------------

def test_a_bill_credit_is_posted_once_per_application(db_session, program):
    payment = approved(db_session, program, 9_000, method="bill_credit")
    entry = db_session.get(LedgerEntry, payment.ledger_entry_id)
    assert (entry.kind, entry.amount_cents, entry.idempotency_key) == ("rebate", 9_000,
                                                                      f"rebate:application:{payment.application_id}")
    payments.post_bill_credit(db_session, payment)                # again: the same entry, nothing new
    assert db_session.scalar(select(text("count(*)")).select_from(LedgerEntry)
                             .where(LedgerEntry.account_id == payment.account_id)) == 1
    assert payment.reference == str(entry.id) and payment.status == "pending"


def test_credits_ack_makes_the_bill_credit_paid_or_refused(app, db_session, program, tmp_path):
    good = approved(db_session, program, 9_000, method="bill_credit")
    bad = approved(db_session, program, 4_000, method="bill_credit")
    runner = app.test_cli_runner()
    exported = runner.invoke(args=["credits", "export", "--out", str(tmp_path)])
    assert exported.exit_code == 0, exported.output
    batch = json.loads(exported.stdout)["batch"]
    db_session.expire_all()
    assert {db_session.get(RebatePayment, p.id).status for p in (good, bad)} == {"sent"}
    answer = tmp_path / "cis.csv"
    answer.write_text(f"entry_id,status,reason\n{good.ledger_entry_id},accepted,\n"
                      f"{bad.ledger_entry_id},rejected,account closed\n")
    result = runner.invoke(args=["credits", "ack", str(batch), str(answer)])
    assert result.exit_code == 0, result.output
    db_session.expire_all()
    good, bad = db_session.get(RebatePayment, good.id), db_session.get(RebatePayment, bad.id)
    assert (good.status, good.paid_on is not None) == ("paid", True)
    assert (bad.status, bad.reason) == ("refused", "account closed")
    assert paid_cents(db_session, program) == 9_000        # the refused credit stays committed


# --- checks ------------------------------------------------------------------------------------

def test_a_check_needs_the_payee_and_address(db_session, program):
    with pytest.raises(Invalid) as refused:
        approved(db_session, program, 5_000, address={"name": "Rosa Diaz"})
    assert "mailing_address.line1" in refused.value.fields


def test_nothing_waiting_prints_an_empty_batch(app, db_session, program, tmp_path):
    assert _export(app, "--out", str(tmp_path / "none")) == {"batch": None, "payments": 0, "amount_cents": 0,
                                                             "files": []}


def test_checks_go_into_one_batch_written_again_byte_for_byte(app, db_session, program, tmp_path):
    first = approved(db_session, program, 9_000)
    second = approved(db_session, program, 12_345, address=dict(ADDRESS, name="=HYPERLINK(\"x\")", line2=""))
    approved(db_session, program, 1_000, method="bill_credit")      # not a check: not in the file
    out = tmp_path / "new" / "folder"
    line = _export(app, "--out", str(out))
    assert (line["payments"], line["amount_cents"]) == (2, 21_345)
    csv_path, xlsx_path = (out / name for name in (f"rebate-checks-{line['batch']:06d}.csv",
                                                   f"rebate-checks-{line['batch']:06d}.xlsx"))
    assert line["files"] == [str(csv_path), str(xlsx_path)]
    rows = list(csv.reader(io.StringIO(csv_path.read_text())))
    assert rows[0] == ["PAYMENT_ID", "PAYEE", "ADDRESS", "CITY", "STATE", "ZIP", "AMOUNT", "APPLICATION", "PROGRAM"]
    assert rows[1] == [str(first.id), "Rosa Diaz", "1234 Park St Apt 2", "Alameda", "CA", "94501", "90.00",
                       str(first.application_id), "TEST-WATER"]
    assert rows[2][1] == "'=HYPERLINK(\"x\")" and rows[2][6] == "123.45"
    first_bytes = csv_path.read_bytes(), xlsx_path.read_bytes()
    assert _export(app, "--out", str(tmp_path / "empty"))["batch"] is None    # each payment in one batch only
    again = _export(app, "--batch", str(line["batch"]), "--out", str(tmp_path / "again"))
    assert again == dict(line, files=[str(tmp_path / "again" / csv_path.name), str(tmp_path / "again" / xlsx_path.name)])
    assert ((tmp_path / "again" / csv_path.name).read_bytes(), (tmp_path / "again" / xlsx_path.name).read_bytes()) \
        == first_bytes
    db_session.expire_all()
    assert db_session.get(RebatePayment, first.id).status == "sent"


def test_a_setting_changes_the_columns(app, db_session, program, tmp_path):
    approved(db_session, program, 9_000)
    app.config["REBATE_PAYMENT_COLUMNS"] = "ID=payment_id,AMT=amount,ACCT=account_number"
    try:
        line = _export(app, "--out", str(tmp_path))
    finally:
        app.config["REBATE_PAYMENT_COLUMNS"] = None
    header = (tmp_path / f"rebate-checks-{line['batch']:06d}.csv").read_text().splitlines()[0]
    assert header == "ID,AMT,ACCT"


def test_ack_issued_is_paid_with_the_check_number_and_rejected_is_refused(app, db_session, program, tmp_path):
    good, bad = approved(db_session, program, 9_000), approved(db_session, program, 3_000)
    batch = _export(app, "--out", str(tmp_path))["batch"]
    result = _ack(app, tmp_path, batch, [f"{good.id},issued,100234,", f"{bad.id},rejected,,address undeliverable"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"batch": batch, "issued": 1, "rejected": 1, "unchanged": 0}
    db_session.expire_all()
    good, bad = db_session.get(RebatePayment, good.id), db_session.get(RebatePayment, bad.id)
    assert (good.status, good.reference) == ("paid", "100234")
    assert (bad.status, bad.reason) == ("refused", "address undeliverable")
    assert paid_cents(db_session, program) == 9_000
    # the same file again changes nothing; a different answer for a paid check is refused
    assert json.loads(_ack(app, tmp_path, batch, [f"{good.id},issued,100234,"]).stdout)["unchanged"] == 1
    assert _ack(app, tmp_path, batch, [f"{good.id},rejected,,lost"]).exit_code != 0


def test_ack_is_all_or_nothing_and_names_the_bad_lines(app, db_session, program, tmp_path):
    one, two = approved(db_session, program, 9_000), approved(db_session, program, 3_000)
    batch = _export(app, "--out", str(tmp_path))["batch"]
    result = _ack(app, tmp_path, batch, [f"{one.id},issued,1001,", f"{two.id},issued,,", "999999,issued,7,",
                                         f"{one.id},issued,1001,", f"{two.id},lost,,"])
    assert result.exit_code != 0
    for expected in ("line 3, check_number", "line 4, payment_id: '999999' is not in batch",
                     "line 5, payment_id", "nothing from the file was applied"):
        assert expected in result.output
    db_session.expire_all()
    assert {db_session.get(RebatePayment, p.id).status for p in (one, two)} == {"sent"}
    missing = tmp_path / "nohead.csv"
    missing.write_text("id,status\n1,issued\n")
    assert "payment_id: column is missing" in app.test_cli_runner().invoke(
        args=["rebates", "payments", "ack", str(batch), str(missing)]).output


def test_a_payment_is_in_at_most_one_batch_by_the_database(app, db_session, program, tmp_path):
    payment = approved(db_session, program, 9_000)
    first = _export(app, "--out", str(tmp_path))["batch"]
    db_session.expire_all()
    payment = db_session.get(RebatePayment, payment.id)
    assert payment.batch_id == first
    # the batch is a column of the payment: there is no second place for another batch to put it
    savepoint = db_session.begin_nested()
    with pytest.raises(Exception):
        db_session.execute(text("UPDATE rebate_payments SET batch_line = NULL WHERE id = :id"), {"id": payment.id})
        db_session.flush()
    savepoint.rollback()


# --- the W-9 -----------------------------------------------------------------------------------

def test_the_w9_hold_from_the_threshold_in_a_calendar_year(app, db_session, program):
    customer = make_user(db_session, "customer")
    account = make_account(db_session)
    below = approved(db_session, program, 150_000, method="bill_credit", customer=customer, account=account)
    assert below.status == "pending" and below.ledger_entry_id
    reaching = approved(db_session, program, 50_000, method="bill_credit", customer=customer, account=account)
    check = approved(db_session, program, 10_000, customer=customer, account=account)
    assert (reaching.status, reaching.ledger_entry_id, check.status) == ("needs_w9", None, "needs_w9")
    with pytest.raises(Invalid) as refused:
        payments.record_w9(db_session, customer.id, tin="12-345", legal_name="Rosa Diaz")
    assert "tin" in refused.value.fields
    released = payments.record_w9(db_session, customer.id, tin="123-45-6789", legal_name="Rosa Diaz")
    assert {p.id for p in released} == {reaching.id, check.id}
    assert reaching.status == "pending" and reaching.ledger_entry_id is not None and check.status == "pending"
    w9 = payments.w9_on_file(db_session, customer.id)
    assert w9.tin_last4 == "6789" and "123456789" not in w9.tin_encrypted
    assert crypto.decrypt_text(w9.tin_encrypted) == "123456789"
    record = db_session.scalar(select(AuditRecord).where(AuditRecord.action == "rebate_w9.recorded"))
    assert record.details["tin_last4"] == "6789" and "123456789" not in json.dumps(record.details)
    # with the W-9 on file, the next payment goes straight through
    assert approved(db_session, program, 10_000, customer=customer, account=account).status == "pending"


def test_a_program_that_is_not_reportable_never_holds_for_a_w9(app, db_session):
    acting_as(Actor(label="test"))
    program = make_program(db_session, code="ENERGY", reportable=False)
    budgets.set_budget(db_session, program, 2027, 1_000_000)
    assert approved(db_session, program, 300_000, method="bill_credit").status == "pending"


def test_a_second_payment_for_one_application_is_refused(db_session, program):
    payment = approved(db_session, program, 9_000, method="bill_credit")
    with pytest.raises(Conflict):
        payments.create_payment(db_session, payment.application_id, program=program, account=make_account(db_session),
                                customer_id=payment.customer_id, method="bill_credit", cents=1)


def test_the_tax_report_lists_the_payees_at_or_over_the_threshold(app, db_session, program, tmp_path):
    over, under = make_user(db_session, "customer"), make_user(db_session, "customer")
    payments.record_w9(db_session, over.id, tin="987654321", legal_name="Ana Ruiz")
    for customer, cents in ((over, 200_000), (under, 199_999)):
        payment = approved(db_session, program, cents, customer=customer)
    batch = _export(app, "--out", str(tmp_path))["batch"]
    ids = [p.id for p in db_session.scalars(select(RebatePayment).where(RebatePayment.batch_id == batch))]
    assert _ack(app, tmp_path, batch, [f"{i},issued,{5000 + i}," for i in ids]).exit_code == 0
    year = db_session.get(RebatePayment, payment.id).paid_on.year
    result = app.test_cli_runner().invoke(args=["rebates", "tax-report", "--year", str(year), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout)
    assert line["payees"] == 1
    rows = list(csv.reader(io.StringIO(Path(line["file"]).read_text())))
    assert rows[0] == ["CUSTOMER_ID", "NAME", "EMAIL", "TIN_LAST4", "W9_ON_FILE", "PAYMENTS", "TOTAL"]
    assert rows[1] == [str(over.id), "Ana Ruiz", over.email, "4321", "yes", "1", "2000.00"]


def test_a_csr_records_a_w9_on_the_page_and_only_the_last_four_show(client, db_session, program):
    from tests.conftest import login, post_form

    customer = make_user(db_session, "customer")
    waiting = approved(db_session, program, 250_000, customer=customer)
    assert waiting.status == "needs_w9"
    login(client, make_user(db_session, "csr").email)
    bad = post_form(client, "/staff/rebates/w9", {"email": customer.email, "legal_name": "Rosa Diaz",
                                                  "tin": "12345"}, token_from="/staff/rebates/w9")
    assert bad.status_code == 422 and 'id="tin-error-1"' in bad.get_data(as_text=True)
    assert "12345" not in bad.get_data(as_text=True)
    done = post_form(client, "/staff/rebates/w9", {"email": customer.email, "legal_name": "Rosa Diaz",
                                                   "tin": "123-45-6789", "reason": "form received by mail"},
                     token_from="/staff/rebates/w9", follow_redirects=True).get_data(as_text=True)
    assert "ending 6789" in done and "Payments released: 1" in done and "123-45" not in done
    db_session.expire_all()
    assert db_session.get(RebatePayment, waiting.id).status == "pending"
    unknown = post_form(client, "/staff/rebates/w9", {"email": "nobody@example.com", "legal_name": "X",
                                                      "tin": "123456789"}, token_from="/staff/rebates/w9")
    assert unknown.status_code == 422 and 'id="email-error-1"' in unknown.get_data(as_text=True)


def test_customers_cannot_record_a_w9(client, db_session, program):
    from tests.conftest import login

    login(client, make_user(db_session, "customer").email)
    assert client.get("/staff/rebates/w9").status_code in (403, 404)


def test_the_w9_page_in_spanish(client, db_session, program):
    from tests.conftest import login

    login(client, make_user(db_session, "csr", language="es").email)
    page = client.get("/staff/rebates/w9?lang=es").get_data(as_text=True)
    assert "Registrar un formulario W-9" in page and "Nueve dígitos." in page


def test_the_workbook_never_holds_a_formula(app, db_session, program, tmp_path):
    from openpyxl import load_workbook

    approved(db_session, program, 9_000, address=dict(ADDRESS, name="=cmd|' /C calc'!A0", line1="+1 Main"))
    line = _export(app, "--out", str(tmp_path))
    sheet = load_workbook(line["files"][1]).active
    rows = list(sheet.iter_rows(values_only=False))
    assert [c.value for c in rows[0]] == ["PAYMENT_ID", "PAYEE", "ADDRESS", "CITY", "STATE", "ZIP", "AMOUNT",
                                          "APPLICATION", "PROGRAM"]
    assert all(cell.data_type != "f" for row in rows for cell in row)
    assert rows[1][1].value == "=cmd|' /C calc'!A0" and rows[1][6].number_format == "0.00"


def test_payment_changes_are_audited(app, db_session, program, tmp_path):
    payment = approved(db_session, program, 9_000)
    batch = _export(app, "--out", str(tmp_path))["batch"]
    assert _ack(app, tmp_path, batch, [f"{payment.id},issued,777,"]).exit_code == 0
    actions = [(a, label) for a, label in db_session.execute(
        select(AuditRecord.action, AuditRecord.actor_label).where(AuditRecord.object_type == "rebate_payments",
                                                                  AuditRecord.object_id == str(payment.id))
        .order_by(AuditRecord.id))]
    assert actions == [("rebate_payment.created", "test: csr"), ("rebate_payment.sent", "cli: rebates payments export"),
                       ("rebate_payment.paid", "cli: rebates payments ack")]


def test_a_rejected_check_is_paid_again_by_a_new_payment(app, db_session, program, tmp_path):
    payment = approved(db_session, program, 9_000)
    batch = _export(app, "--out", str(tmp_path))["batch"]
    assert _ack(app, tmp_path, batch, [f"{payment.id},rejected,,bad address"]).exit_code == 0
    db_session.expire_all()
    refused = db_session.get(RebatePayment, payment.id)
    with pytest.raises(Invalid):
        payments.reissue(db_session, refused, method="check", mailing_address=ADDRESS, reason="")
    again = payments.reissue(db_session, refused, method="check", mailing_address=dict(ADDRESS, line1="9 Oak St"),
                             reason="the customer gave the right address")
    assert (again.status, again.batch_id, refused.status, refused.batch_id) == ("pending", None, "refused", batch)
    with pytest.raises(Conflict):
        payments.reissue(db_session, again, method="check", mailing_address=ADDRESS, reason="twice")
    second = _export(app, "--out", str(tmp_path / "2"))
    assert second["payments"] == 1 and second["batch"] != batch
    assert _ack(app, tmp_path, second["batch"], [f"{again.id},issued,5555,"]).exit_code == 0
    assert paid_cents(db_session, program) == 9_000


def test_a_refused_bill_credit_is_paid_by_check_only_once_reversed(app, db_session, program, tmp_path):
    from accounts import service as accounts_service
    from accounts.models import CreditBatchItem

    payment = approved(db_session, program, 4_000, method="bill_credit")
    runner = app.test_cli_runner()
    batch = json.loads(runner.invoke(args=["credits", "export", "--out", str(tmp_path)]).stdout)["batch"]
    answer = tmp_path / "cis.csv"
    answer.write_text(f"entry_id,status,reason\n{payment.ledger_entry_id},rejected,account closed\n")
    assert runner.invoke(args=["credits", "ack", str(batch), str(answer)]).exit_code == 0
    db_session.expire_all()
    refused = db_session.get(RebatePayment, payment.id)
    assert refused.status == "refused"
    with pytest.raises(Conflict):
        payments.reissue(db_session, refused, method="check", mailing_address=ADDRESS, reason="account closed")
    item = db_session.scalar(select(CreditBatchItem).where(CreditBatchItem.entry_id == refused.ledger_entry_id))
    accounts_service.resolve_rejection(db_session, item.id, action="reverse", by=make_user(db_session, "csr"),
                                       reason="pay by check")
    check = payments.reissue(db_session, refused, method="check", mailing_address=ADDRESS, reason="account closed")
    assert (check.method, check.status) == ("check", "pending")
