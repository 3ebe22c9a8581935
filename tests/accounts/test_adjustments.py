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


# --- the limit per person, account and business day; reversals of approved entries -------------

def _adjust(session, account, cents, by, note="leak credit"):
    from accounts import service

    return service.request_adjustment(session, account=account, amount_cents=cents, reason_code="leak_adjustment",
                                      note=note, requested_by=by)


def test_ten_adjustments_of_the_limit_in_a_row_post_one_and_wait_for_a_manager_on_the_rest(client, db_session):
    from accounts.models import AdjustmentRequest

    account = make_account(db_session)
    csr = make_user(db_session, "csr")
    login(client, csr.email)
    for n in range(10):
        response = post_form(client, f"/staff/accounts/{account.number}/adjustments",
                             {"amount": "500.00", "direction": "credit", "reason_code": "goodwill",
                              "note": f"goodwill credit {n}"})
        assert response.status_code == 302
    assert _ledger_amounts(db_session, account) == [50000]
    statuses = [r.status for r in db_session.query(AdjustmentRequest).filter_by(account_id=account.id)
                .order_by(AdjustmentRequest.id)]
    assert statuses == ["approved"] + ["pending"] * 9
    assert "with what you posted on this account today" in client.get(
        f"/staff/accounts/{account.number}").get_data(as_text=True)


def test_the_day_is_the_utilitys_business_day_and_counts_each_person_and_account_apart(db_session, clock):
    from datetime import datetime, timedelta, timezone

    account, other_account = make_account(db_session), make_account(db_session)
    csr, other_csr = make_user(db_session, "csr"), make_user(db_session, "csr")
    clock.freeze(datetime(2026, 3, 10, 6, 30, tzinfo=timezone.utc))  # 23:30 on March 9 in Los Angeles (PDT)
    assert _adjust(db_session, account, 30000, csr).status == "approved"
    clock.freeze(datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc))   # 02:00 on March 10: a new business day
    assert _adjust(db_session, account, -30000, csr).status == "approved"
    assert _adjust(db_session, account, 15000, csr).status == "approved"   # 450.00 today
    assert _adjust(db_session, account, 5001, csr).status == "pending"     # 500.01: over
    assert _adjust(db_session, account, 5000, csr).status == "approved"    # exactly 500.00
    assert _adjust(db_session, other_account, 50000, csr).status == "approved"
    assert _adjust(db_session, account, 50000, other_csr).status == "approved"
    clock.advance(timedelta(days=1))
    assert _adjust(db_session, account, 50000, csr).status == "approved"


def test_a_csr_cannot_reverse_a_manager_approved_charge_back_without_the_same_approval(app, client, db_session):
    from accounts import service
    from accounts.models import AdjustmentRequest

    account = make_account(db_session)
    csr, manager, other_manager = make_user(db_session, "csr"), make_user(db_session, "manager"), \
        make_user(db_session, "manager")
    charge = _adjust(db_session, account, -300000, csr, note="meter tampering charge-back")
    service.decide_adjustment(db_session, charge.id, manager=manager, approve=True, note="evidence seen")
    db_session.commit()
    entry_id = charge.ledger_entry_id

    login(client, csr.email)
    response = post_form(client, f"/staff/ledger/{entry_id}/reverse",
                         {"reason": "customer disputes it", "account_number": account.number},
                         token_from=f"/staff/accounts/{account.number}")
    assert response.status_code == 302
    assert _ledger_amounts(db_session, account) == [-300000]  # nothing reversed yet
    assert "its reversal waits for a manager" in client.get(f"/staff/accounts/{account.number}").get_data(as_text=True)
    from tests.factories import api_headers

    api = client.application.test_client().post(f"/api/v1/credits/{entry_id}/reversal",
                                                json={"reason": "again", "amount": "10.00"},
                                                headers=api_headers(app, csr))
    assert api.status_code == 202 and api.json["status"] == "pending" and api.json["kind"] == "reversal"
    assert api.json["reverses_entry_id"] == entry_id and api.json["amount_cents"] == 1000
    assert _ledger_amounts(db_session, account) == [-300000]

    waiting = db_session.query(AdjustmentRequest).filter_by(kind="reversal").order_by(AdjustmentRequest.id).first()
    manager_client = client.application.test_client()
    login(manager_client, other_manager.email)
    assert f"Reversal of ledger entry {entry_id}" in manager_client.get("/staff/adjustments").get_data(as_text=True)
    post_form(manager_client, f"/staff/adjustments/{waiting.id}", {"decision": "approve", "note": "ok"},
              token_from="/staff/adjustments")
    db_session.expire_all()
    assert _ledger_amounts(db_session, account) == [-300000, 300000]


def test_a_manager_who_reverses_an_approved_entry_needs_another_manager(db_session):
    import pytest

    from accounts import service
    from accounts.models import AdjustmentRequest
    from core.errors import Forbidden

    account = make_account(db_session)
    csr, manager = make_user(db_session, "csr"), make_user(db_session, "manager")
    big = _adjust(db_session, account, 80000, csr)
    service.decide_adjustment(db_session, big.id, manager=manager, approve=True, note=None)
    waiting = service.request_reversal(db_session, big.ledger_entry_id, reason="posted to the wrong account",
                                       amount_cents=None, requested_by=manager)
    assert isinstance(waiting, AdjustmentRequest) and waiting.amount_cents == -80000
    with pytest.raises(Forbidden):
        service.decide_adjustment(db_session, waiting.id, manager=manager, approve=True, note=None)


def test_entries_posted_without_a_manager_are_reversed_at_once(db_session):
    from accounts import service
    from accounts.models import LedgerEntry

    account = make_account(db_session)
    csr = make_user(db_session, "csr")
    small = _adjust(db_session, account, 4000, csr)
    reversal = service.request_reversal(db_session, small.ledger_entry_id, reason="typo", amount_cents=None,
                                        requested_by=csr)
    assert isinstance(reversal, LedgerEntry) and reversal.amount_cents == -4000
