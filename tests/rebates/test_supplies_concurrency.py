"""Two processes order the last unit at once, on a database of their own: one wins, stock stays at 0.

On PostgreSQL each process has its own connection: the second UPDATE waits for the first's row and
re-checks `stock >= n` after it commits; on SQLite one writer at a time.
"""
from __future__ import annotations

import multiprocessing

from sqlalchemy import create_engine, text

from tests.conftest import test_config


def _order(url: str, number: str, barrier, results) -> None:
    from app import create_app
    from core.audit import Actor, acting_as
    from core.database import db
    from core.errors import AssistError
    from rebates import supplies
    from accounts.models import Account

    app = create_app(test_config(url))
    with app.app_context():
        acting_as(Actor(label=f"test {number}"))
        session = db.session()
        account = session.query(Account).filter_by(number=number).one()
        session.commit()  # no transaction held while waiting (SQLite: BEGIN IMMEDIATE even to read)
        barrier.wait(120)
        try:
            supplies.place_order(session, account, [{"supply": "LAST", "quantity": 1}], channel="online")
            session.commit()
            results.put("placed")
        except AssistError as exc:
            session.rollback()
            results.put(exc.status)
    db.engine(app).dispose()


def test_two_concurrent_orders_for_the_last_unit(fresh_database_url):
    from app import create_app
    from core.audit import Actor, acting_as
    from core.database import db
    from tests.factories import make_account
    from tests.rebates.supply_helpers import item, load

    app = create_app(test_config(fresh_database_url))
    with app.app_context():
        acting_as(Actor(label="test"))
        session = db.session()
        load(session, item("LAST", stock=1, quantity=5))
        numbers = [make_account(session, zip_code=z).number for z in ("94501", "94601")]
        session.commit()
    db.engine(app).dispose()

    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_order, args=(fresh_database_url, n, barrier, results)) for n in numbers]
    for p in procs:
        p.start()
    outcomes = sorted(str(results.get(timeout=150)) for _ in procs)
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    assert outcomes == ["409", "placed"]
    engine = create_engine(fresh_database_url)
    with engine.connect() as conn:
        stock = conn.execute(text("SELECT stock FROM supply_items WHERE code = 'LAST'")).scalar()
        ledger = conn.execute(text("SELECT sum(change), count(*) FROM supply_stock_entries")).one()
        orders = conn.execute(text("SELECT count(*) FROM supply_orders")).scalar()
    engine.dispose()
    assert stock == 0 and tuple(ledger) == (0, 2) and orders == 1
