"""Under load: every list page runs the same number of SQL statements whatever the number of rows.

A page that loads each row's programs, flags, letters or documents one row at a time (N+1) is
quick with three rows and falls over with thousands. Each test draws the page with a few rows,
adds many more, draws it again, and compares the statement counts.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from tests.applications.helpers import TODAY
from tests.conftest import login
from tests.factories import link, make_account, make_enrollment, make_user


@contextmanager
def counted(app):
    """The SQL statements the app runs inside the block (savepoints and transaction control left out)."""
    from core.database import db

    statements: list[str] = []

    def seen(_conn, _cursor, statement, _parameters, _context, _executemany):
        if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT)", statement, re.I):
            statements.append(statement)

    engine = db.engine(app)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def statements_for(app, client, path: str) -> list[str]:
    with counted(app) as statements:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:500])
    return statements


def add_applications(db_session, applicant, account, count: int, *, status: str = "submitted",
                     programs=("CARE", "FERA"), letters: int = 2, documents: int = 2) -> list:
    """Submitted applications as a queue sees them: programs with a determination, flags, letters, documents."""
    from core import clock
    from documents.models import Document
    from applications.models import Application, ApplicationDocument, Flag
    from eligibility.assistance.models import ApplicationProgram, AssistanceApplication
    from notices.models import Notice
    from eligibility.models import Program

    program_ids = {code: db_session.scalar(select(Program.id).where(Program.code == code)) for code in programs}
    made = []
    for n in range(count):
        at = clock.now() - timedelta(days=count - n, minutes=n)
        application = Application(
            account_id=account.id, applicant_id=applicant.id, started_by_id=applicant.id, kind="assistance",
            status=status, language="en", submitted_at=at, submitted_on=at.date(), created_at=at, updated_at=at)
        application.assistance = AssistanceApplication(household={"members": [{"age": 41, "name": "Rosa Diaz", "incomes": [
            {"kind": "wages", "amount_cents": 250_000, "frequency": "monthly"}]}]}, categorical=[])
        application.programs = [ApplicationProgram(program_id=pid, status="pending", determination={
            "eligible": True, "tier": None, "limit_cents": 6_430_000, "income_cents": 3_000_000, "period": "annual",
            "reasons": [], "rule_version": f"{code}.v1"}) for code, pid in program_ids.items()]
        application.flags = [Flag(code=code, program_code=None, message=code, details={}, raised_at=at)
                             for code in ("income_mismatch", "document_unread")]
        db_session.add(application)
        db_session.flush()
        application.number = f"A{at.year}-{application.id:07d}"
        for k in range(letters):
            db_session.add(Notice(account_id=account.id, application_id=application.id, kind="receipt", language="en",
                                  subject=f"Letter {k}", body="We have your application.", created_at=at))
        for k in range(documents):
            document = Document(uploaded_at=at, uploaded_by_id=applicant.id, owner_id=applicant.id,
                                original_filename=f"t{k}.pdf", kind="pdf", size_bytes=100, storage_name=f"s{application.id}-{k}",
                                sha256=f"{application.id:032d}{k:032d}", status="parsed",
                                parse_result={"status": "parsed", "amounts_cents": {"adjusted_gross_income": 3_000_000},
                                              "evidence": {}, "problems": []})
            db_session.add(document)
            db_session.flush()
            db_session.add(ApplicationDocument(application_id=application.id, document_id=document.id,
                                               requirement="income", added_at=at, added_by_id=applicant.id))
        made.append(application)
    db_session.flush()
    return made


@pytest.fixture
def world(app, db_session, clock):
    clock.freeze(TODAY)
    customer = make_user(db_session, "customer")
    account = make_account(db_session)
    link(db_session, customer, account)
    csr = make_user(db_session, "csr")
    return customer, account, csr


def assert_constant(app, client, path: str, grow) -> None:
    few = statements_for(app, client, path)
    grow()
    many = statements_for(app, client, path)
    assert len(many) == len(few), f"{path}: {len(few)} statements with a few rows, {len(many)} with many" + \
        repeated(few, many)


def repeated(few: list[str], many: list[str]) -> str:
    """The statements the longer list runs more often, to name the N+1."""
    from collections import Counter

    extra = Counter(" ".join(s.split())[:160] for s in many) - Counter(" ".join(s.split())[:160] for s in few)
    return "".join(f"\n  {n} x {statement}" for statement, n in extra.most_common(5))


@pytest.mark.parametrize("path", ["/staff/queue", "/staff/queue?program=CARE", "/staff/queue?flag=income_mismatch",
                                  "/api/v1/review/queue"])
def test_the_queue_runs_as_many_statements_for_fifty_rows_as_for_three(app, client, db_session, world, path):
    customer, account, csr = world
    add_applications(db_session, customer, account, 3)
    login(client, csr.email)
    assert_constant(app, client, path, lambda: add_applications(db_session, customer, account, 60))
    page = client.get(path)
    if path.startswith("/api"):
        assert len(page.json["items"]) == 50 and page.json["next"]
    else:
        text = page.get_data(as_text=True)
        assert text.count('href="/staff/applications/') == 50 and "CARE, FERA" in text and "Income differs" in text


def test_my_applications_runs_as_many_statements_for_many_applications_as_for_two(app, client, db_session, world):
    customer, account, _csr = world
    add_applications(db_session, customer, account, 2)
    login(client, customer.email)
    assert_constant(app, client, "/applications", lambda: add_applications(db_session, customer, account, 40))


@pytest.mark.parametrize("kind", ["status", "staff"])
def test_an_application_page_runs_as_many_statements_with_many_letters_and_documents(app, client, db_session, world,
                                                                                     kind):
    customer, account, csr = world
    few = add_applications(db_session, customer, account, 1, programs=("CARE",), letters=1, documents=1)[0]
    many = add_applications(db_session, customer, account, 1, programs=("CARE", "FERA", "LIHEAP-CA"), letters=12,
                            documents=8)[0]
    login(client, customer.email if kind == "status" else csr.email)
    prefix = "/applications" if kind == "status" else "/staff/applications"
    small = statements_for(app, client, f"{prefix}/{few.id}")
    large = statements_for(app, client, f"{prefix}/{many.id}")
    assert len(large) == len(small), f"{len(small)} statements, then {len(large)}" + repeated(small, large)
    assert "Letter 11" in client.get(f"{prefix}/{many.id}").get_data(as_text=True)


def test_my_programs_and_the_staff_enrollments_page_do_not_grow_with_enrollments(app, client, db_session, world):
    from accounts.models import Account

    customer, account, csr = world
    make_enrollment(db_session, account=account, applicant=customer)

    def more_accounts():
        for _ in range(6):
            other = make_account(db_session)
            link(db_session, customer, other)
            make_enrollment(db_session, account=other, applicant=customer, program="FERA")

    def earlier_enrollments():  # the same account's enrollments over the years, each with its history
        for years in range(1, 6):
            make_enrollment(db_session, account=db_session.get(Account, account.id), applicant=customer,
                            status="expired", certified_from=TODAY.date() - timedelta(days=730 * years))

    login(client, customer.email)
    assert_constant(app, client, "/programs/mine", more_accounts)
    login(client, csr.email)
    assert_constant(app, client, f"/staff/accounts/{account.number}/enrollments", earlier_enrollments)


def test_the_adjustments_waiting_for_a_manager_do_not_load_their_accounts_one_by_one(app, client, db_session, world):
    from accounts.models import AdjustmentRequest
    from core import clock

    _customer, _account, csr = world
    manager = make_user(db_session, "manager")

    def requests(count):
        for n in range(count):
            other = make_account(db_session)
            db_session.add(AdjustmentRequest(account_id=other.id, amount_cents=90_000 + n, reason_code="billing_error",
                                             note="meter read twice", status="pending", requested_at=clock.now(),
                                             requested_by_id=csr.id))
        db_session.flush()

    requests(1)
    login(client, manager.email)
    assert_constant(app, client, "/staff/adjustments", lambda: requests(8))


def test_my_applications_come_twenty_five_to_a_page_newest_first(app, client, db_session, world):
    customer, account, _csr = world
    made = add_applications(db_session, customer, account, 30, letters=0, documents=0)
    login(client, customer.email)
    first = client.get("/applications").get_data(as_text=True)
    numbers = re.findall(r">(A\d{4}-\d{7})<", first)
    assert numbers == [a.number for a in reversed(made)][:25]
    assert "?page=2" in first and "Previous" not in first
    second = client.get("/applications?page=2").get_data(as_text=True)
    assert re.findall(r">(A\d{4}-\d{7})<", second) == [a.number for a in reversed(made)][25:]
    assert "?page=1" in second and "?page=3" not in second
    bad = client.get("/applications?page=x")  # the input layer names the field
    assert bad.status_code == 422 and "page" in bad.get_data(as_text=True)
