"""Managers read the audit log; other roles cannot."""
from __future__ import annotations

from tests.conftest import login
from tests.factories import make_user


def test_managers_read_and_filter_the_audit_log(client, db_session):
    from core import audit

    audit.record(db_session, "application.approved", object_type="application", object_id=77,
                 reason="income under the limit")
    audit.record(db_session, "credit.posted", object_type="credit", object_id=5, reason="monthly discount")
    manager = make_user(db_session, "manager")
    login(client, manager.email)
    page = client.get("/staff/audit?object_type=application&object_id=77").get_data(as_text=True)
    assert "application.approved" in page and "income under the limit" in page
    assert "credit.posted" not in page


def test_csrs_cannot_read_the_audit_log(client, db_session):
    csr = make_user(db_session, "csr")
    login(client, csr.email)
    assert client.get("/staff/audit").status_code == 403
