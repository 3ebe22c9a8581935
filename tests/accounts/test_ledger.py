"""The credit ledger: append-only, never posted twice, reversals never more than remains."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from core.errors import Conflict, Invalid
from tests.conftest import login
from tests.factories import link, make_account, make_user


def _post(session, account, cents, key, kind="discount"):
    from accounts import service

    return service.post_entry(session, account=account, amount_cents=cents, kind=kind, idempotency_key=key,
                              reason="CARE discount", source_type="bill", source_id="B-1")


def test_the_same_credit_is_posted_once(db_session):
    from accounts.models import LedgerEntry

    account = make_account(db_session)
    first, created = _post(db_session, account, 2945, "care:B-1")
    again, created_again = _post(db_session, account, 2945, "care:B-1")
    assert created and not created_again and again.id == first.id
    assert db_session.query(LedgerEntry).filter_by(account_id=account.id).count() == 1


def test_a_different_credit_under_a_used_key_is_a_conflict(db_session):
    account = make_account(db_session)
    _post(db_session, account, 2945, "care:B-2")
    with pytest.raises(Conflict):
        _post(db_session, account, 3000, "care:B-2")


def test_ledger_rows_cannot_be_edited(db_session):
    account = make_account(db_session)
    entry, _ = _post(db_session, account, 1000, "edit-me")
    savepoint = db_session.begin_nested()
    # The trigger refuses it; on PostgreSQL the application role lacks the privilege before that.
    with pytest.raises(DBAPIError, match="append-only|permission denied"):
        db_session.execute(text("UPDATE ledger_entries SET amount_cents = 1 WHERE id = :id"), {"id": entry.id})
    savepoint.rollback()


def test_reversals_never_take_more_than_remains(db_session):
    from accounts import service

    account = make_account(db_session)
    entry, _ = _post(db_session, account, 5000, "rev-1")
    part = service.reverse_entry(db_session, entry.id, reason="billed twice", amount_cents=2000)
    assert part.amount_cents == -2000 and part.reverses_id == entry.id and part.kind == "reversal"
    with pytest.raises(Invalid, match=r"Only \$30.00 of this entry is left"):
        service.reverse_entry(db_session, entry.id, reason="again", amount_cents=3001)
    rest = service.reverse_entry(db_session, entry.id, reason="customer moved")
    assert rest.amount_cents == -3000
    with pytest.raises(Invalid, match=r"Only \$0.00"):
        service.reverse_entry(db_session, entry.id, reason="once more")
    with pytest.raises(Invalid, match="cannot itself be reversed"):
        service.reverse_entry(db_session, rest.id, reason="undo")


def test_reversing_a_charge_back_gives_money_back(db_session):
    from accounts import service

    account = make_account(db_session)
    charge, _ = _post(db_session, account, -1500, "charge-1", kind="adjustment")
    assert service.reverse_entry(db_session, charge.id, reason="charged in error").amount_cents == 1500


def test_the_credits_api_lists_running_totals(client, db_session):
    from accounts import service

    account = make_account(db_session)
    customer = make_user(db_session)
    link(db_session, customer, account)
    entry, _ = _post(db_session, account, 2945, "k1")
    _post(db_session, account, 1000, "k2", kind="rebate")
    service.reverse_entry(db_session, entry.id, reason="bill cancelled", amount_cents=945)
    login(client, customer.email)
    body = client.get(f"/api/v1/accounts/{account.number}/credits").json
    assert [c["amount_cents"] for c in body["credits"]] == [2945, 1000, -945]
    assert [c["running_total_cents"] for c in body["credits"]] == [2945, 3945, 3000]
    assert body["balance_cents"] == 3000
    assert body["credits"][0]["reversible_cents"] == 2000 and body["credits"][0]["cis_state"] is None


def test_two_connections_posting_the_same_credit_at_once_post_it_once(fresh_database_url):
    """Each thread has its own connection and transaction, as two processes would."""
    from app import create_app
    from core.database import db
    from tests.conftest import test_config

    app = create_app(test_config(fresh_database_url))
    with app.app_context():
        account = make_account(db.session())
        db.session.commit()
        account_id = account.id
    barrier = threading.Barrier(2)
    results, errors = [], []

    def poster():
        from accounts import service
        from accounts.models import Account

        try:
            with app.app_context():
                session = db.session()
                barrier.wait(timeout=10)  # before any SQL: on SQLite the first BEGIN IMMEDIATE holds the lock
                acct = session.get(Account, account_id)
                entry, created = service.post_entry(session, account=acct, amount_cents=2500, kind="discount",
                                                    idempotency_key="care:bill-77", reason="CARE discount")
                session.commit()
                results.append((entry.id, created))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=poster) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(created for _id, created in results) == [False, True]
    assert len({entry_id for entry_id, _c in results}) == 1
    engine = create_engine(fresh_database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ledger_entries WHERE idempotency_key = 'care:bill-77'")).scalar() == 1
    engine.dispose()
    db.engine(app).dispose()
