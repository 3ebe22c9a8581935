"""Manual adjustments by CSRs; large ones wait for a manager and are not exported before."""
from __future__ import annotations

import json

from tests.conftest import login, post_form
from tests.factories import make_account, make_user


def _ledger_amounts(session, account):
    from accounts import service

    return [line.entry.amount_cents for line in service.ledger(session, account)]


def test_a_small_adjustment_is_posted_at_once(client, db_session):
    account = make_account(db_session)
    csr = make_user(db_session, "csr")
    login(client, csr.email)
    response = post_form(client, f"/staff/accounts/{account.number}/adjustments",
                         {"amount": "45.00", "direction": "credit", "reason_code": "leak_adjustment",
                          "note": "Leak repaired on 2026-10-02, plumber's invoice seen"})
    assert response.status_code == 302
    assert _ledger_amounts(db_session, account) == [4500]


def test_a_charge_back_is_negative(client, db_session):
    account = make_account(db_session)
    login(client, make_user(db_session, "csr").email)
    post_form(client, f"/staff/accounts/{account.number}/adjustments",
              {"amount": "12.50", "direction": "charge", "reason_code": "correction", "note": "credited twice"})
    assert _ledger_amounts(db_session, account) == [-1250]


def test_an_adjustment_needs_a_reason(client, db_session):
    account = make_account(db_session)
    login(client, make_user(db_session, "csr").email)
    response = post_form(client, f"/staff/accounts/{account.number}/adjustments",
                         {"amount": "12.50", "direction": "credit", "reason_code": "correction", "note": ""})
    assert response.status_code == 422
    assert "Explain the adjustment" in response.get_data(as_text=True)
    assert _ledger_amounts(db_session, account) == []


def test_a_large_adjustment_waits_for_a_manager_and_is_not_exported_before(app, client, db_session, tmp_path):
    from accounts.models import AdjustmentRequest

    account = make_account(db_session)
    csr = make_user(db_session, "csr")
    login(client, csr.email)
    response = post_form(client, f"/staff/accounts/{account.number}/adjustments",
                         {"amount": "750.00", "direction": "credit", "reason_code": "lead_copper_credit",
                          "note": "Lead service line replacement credit"})
    assert response.status_code == 302
    assert _ledger_amounts(db_session, account) == []
    request = db_session.query(AdjustmentRequest).filter_by(account_id=account.id).one()
    assert request.status == "pending"

    result = app.test_cli_runner().invoke(args=["credits", "export", "--out", str(tmp_path)])
    exported = json.loads(result.output.strip().splitlines()[-1])
    assert exported["entries"] == 0 or str(account.number) not in (tmp_path / f"credits-{exported['batch']:06d}.csv").read_text()

    manager = make_user(db_session, "manager")
    manager_client = client.application.test_client()
    login(manager_client, manager.email)
    assert "Lead service line replacement credit" in manager_client.get("/staff/adjustments").get_data(as_text=True)
    post_form(manager_client, f"/staff/adjustments/{request.id}", {"decision": "approve", "note": "ok"})
    db_session.refresh(request)
    assert request.status == "approved" and _ledger_amounts(db_session, account) == [75000]

    result = app.test_cli_runner().invoke(args=["credits", "export", "--out", str(tmp_path / "after")])
    exported = json.loads(result.output.strip().splitlines()[-1])
    assert account.number in (tmp_path / "after" / f"credits-{exported['batch']:06d}.csv").read_text()


def test_a_manager_cannot_approve_their_own_adjustment(client, db_session):
    from accounts import service
    from core.errors import Forbidden

    account = make_account(db_session)
    manager = make_user(db_session, "manager")
    request = service.request_adjustment(db_session, account=account, amount_cents=90000, reason_code="correction",
                                         note="big fix", requested_by=manager)
    try:
        service.decide_adjustment(db_session, request.id, manager=manager, approve=True, note=None)
    except Forbidden:
        pass
    else:
        raise AssertionError("a manager approved their own adjustment")
    assert request.status == "pending"


def test_a_rejection_needs_a_note_and_posts_nothing(db_session):
    import pytest

    from accounts import service
    from core.errors import Invalid

    account = make_account(db_session)
    csr, manager = make_user(db_session, "csr"), make_user(db_session, "manager")
    request = service.request_adjustment(db_session, account=account, amount_cents=60000, reason_code="goodwill",
                                         note="customer upset", requested_by=csr)
    with pytest.raises(Invalid):
        service.decide_adjustment(db_session, request.id, manager=manager, approve=False, note="")
    service.decide_adjustment(db_session, request.id, manager=manager, approve=False, note="not policy")
    assert request.status == "rejected" and _ledger_amounts(db_session, account) == []


def test_the_approval_limit_is_configurable(app, db_session):
    from accounts import service

    account = make_account(db_session)
    csr = make_user(db_session, "csr")
    app.config["ADJUSTMENT_APPROVAL_LIMIT_CENTS"] = 10000
    try:
        request = service.request_adjustment(db_session, account=account, amount_cents=15000,
                                             reason_code="correction", note="x", requested_by=csr)
    finally:
        app.config["ADJUSTMENT_APPROVAL_LIMIT_CENTS"] = 50000
    assert request.status == "pending"
