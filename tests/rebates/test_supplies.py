"""Free supplies: the file, who may order, the per-home limit and its window, stock, batches."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select, text

from core.audit import Actor, AuditRecord, acting_as
from core.errors import Conflict, Invalid
from core.outbox import OutboxMessage
from rebates import supplies
from rebates.supply_models import SupplyBatch, SupplyOrder, SupplyStockEntry
from tests.factories import link, make_account, make_enrollment, make_user
from tests.rebates.supply_helpers import document, item, load, write


@pytest.fixture
def actor(db_session):
    acting_as(Actor(label="test"))


def _order(session, account, *lines, channel="online", customer=None, language="en"):
    return supplies.place_order(session, account, [{"supply": c, "quantity": q} for c, q in lines],
                                channel=channel, customer=customer, language=language)


# --- The file ----------------------------------------------------------------------------------

def test_the_example_file_loads_and_loading_twice_changes_nothing(app, db_session, actor, tmp_path):
    runner = app.test_cli_runner()
    path = str(supplies.DATA / supplies.EXAMPLE_FILE)
    first = runner.invoke(args=["supplies", "load", path])
    assert first.exit_code == 0, first.output
    added = json.loads(first.output)["supplies_added"]
    assert {"SHOWERHEAD", "AERATOR-KITCHEN", "LEAK-TABLETS", "HOSE-NOZZLE", "SAVER-KIT"} <= set(added)
    entries = db_session.scalar(select(func.count()).select_from(SupplyStockEntry))
    second = runner.invoke(args=["supplies", "load", path])
    assert json.loads(second.output) == {"supplies_added": [], "supplies_updated": [], "supplies_unchanged": 6}
    assert db_session.scalar(select(func.count()).select_from(SupplyStockEntry)) == entries
    assert supplies.get_item(db_session, "SAVER-KIT").programs == ["CARE", "FERA"]


def test_a_bad_file_names_every_problem_and_loads_nothing(app, db_session, actor, tmp_path):
    bad = document(item("GOOD"), item("lower", cost=1.5), item("X2", limit={"quantity": 0, "months": 36},
                                                                       who_may_order="everyone", colour="red"))
    result = app.test_cli_runner().invoke(args=["supplies", "load", write(tmp_path, bad)])
    assert result.exit_code != 0
    for where in ("supplies[1].code", "supplies[1].unit_cost", "supplies[2].limit", "supplies[2].who_may_order",
                  "supplies[2].colour: unknown key"):
        assert where in result.output
    assert "nothing from the file was loaded" in result.output
    with pytest.raises(Exception):
        supplies.get_item(db_session, "GOOD")


# --- Who may order, and how many ---------------------------------------------------------------

def test_the_per_home_limit_counts_every_account_at_the_same_address(db_session, actor):
    load(db_session, item("KIT", quantity=2))
    first, second = make_account(db_session), make_account(db_session)  # same service address
    _order(db_session, first, ("KIT", 1))
    with pytest.raises(Invalid) as refused:
        _order(db_session, second, ("KIT", 2))
    assert list(refused.value.fields) == ["items.0.quantity"]
    assert "1 more now" in refused.value.fields["items.0.quantity"][0]
    _order(db_session, second, ("KIT", 1))  # exactly the limit is fine


def test_the_window_ends_on_the_same_day_months_later(db_session, clock, actor):
    load(db_session, item("KIT", quantity=1, months=36))
    account = make_account(db_session)
    clock.freeze(datetime(2026, 3, 10, 18, tzinfo=timezone.utc))
    _order(db_session, account, ("KIT", 1))
    clock.freeze(datetime(2029, 3, 9, 18, tzinfo=timezone.utc))   # the window's last day
    with pytest.raises(Invalid):
        _order(db_session, account, ("KIT", 1))
    clock.freeze(datetime(2029, 3, 10, 18, tzinfo=timezone.utc))  # three years on: a new kit
    assert _order(db_session, account, ("KIT", 1)).status == "open"


def test_a_cancelled_order_does_not_count_against_the_limit(db_session, actor):
    load(db_session, item("KIT", quantity=1))
    account = make_account(db_session)
    supplies.cancel(db_session, _order(db_session, account, ("KIT", 1)), "changed my mind")
    assert _order(db_session, account, ("KIT", 1)).status == "open"


def test_enrolled_only_items_need_a_current_enrollment_in_a_named_program(db_session, actor):
    load(db_session, item("KIT", who=["CARE"]), item("TABS"))
    customer = make_user(db_session)
    account = make_account(db_session)
    link(db_session, customer, account)
    assert [o.item.code for o in supplies.offers(db_session, account)] == ["TABS"]
    with pytest.raises(Invalid) as refused:
        _order(db_session, account, ("KIT", 1))
    assert "CARE" in refused.value.fields["items.0.supply"][0]
    make_enrollment(db_session, account=account, applicant=customer, program="CARE")
    assert [o.item.code for o in supplies.offers(db_session, account)] == ["KIT", "TABS"]
    assert _order(db_session, account, ("KIT", 1)).lines[0].item.code == "KIT"


def test_bad_lines_are_named_by_their_place(db_session, actor):
    load(db_session, item("KIT"))
    account = make_account(db_session)
    with pytest.raises(Invalid) as refused:
        supplies.place_order(db_session, account, [{"supply": "NOPE", "quantity": 1}, {"supply": "KIT", "quantity": 0}],
                             channel="online")
    assert set(refused.value.fields) == {"items.0.supply", "items.1.quantity"}


# --- Stock -------------------------------------------------------------------------------------

def test_stock_never_goes_below_zero_and_a_refused_order_takes_nothing(db_session, actor):
    found = load(db_session, item("KIT", stock=1, quantity=5), item("TABS", stock=5))
    account, other = make_account(db_session), make_account(db_session, zip_code="94502")
    with pytest.raises(Conflict):
        with db_session.begin_nested():
            _order(db_session, account, ("TABS", 1), ("KIT", 2))
    db_session.refresh(found["TABS"])
    assert found["TABS"].stock == 5 and db_session.scalar(select(func.count()).select_from(SupplyOrder)) == 0
    _order(db_session, account, ("KIT", 1))
    with pytest.raises(Conflict):
        _order(db_session, other, ("KIT", 1))
    db_session.refresh(found["KIT"])
    assert found["KIT"].stock == 0


def test_the_database_refuses_negative_stock_and_rewriting_the_ledger(db_session, actor):
    found = load(db_session, item("KIT", stock=1))
    with pytest.raises(Exception):
        with db_session.begin_nested():
            db_session.execute(text("UPDATE supply_items SET stock = -1 WHERE id = :i"), {"i": found["KIT"].id})
    with pytest.raises(Exception):
        with db_session.begin_nested():
            db_session.execute(text("UPDATE supply_stock_entries SET change = 99"))


def test_cancel_gives_the_stock_back_and_the_ledger_adds_up(db_session, actor):
    found = load(db_session, item("KIT", stock=4, quantity=3))
    account = make_account(db_session)
    placed = _order(db_session, account, ("KIT", 3))
    db_session.refresh(found["KIT"])
    assert found["KIT"].stock == 1
    supplies.cancel(db_session, placed, "moved away")
    db_session.refresh(found["KIT"])
    assert found["KIT"].stock == 4 and placed.status == "cancelled"
    with pytest.raises(Conflict):
        supplies.cancel(db_session, placed, "twice")
    assert supplies.ledger_total(db_session, found["KIT"]) == 4
    reasons = list(db_session.scalars(select(SupplyStockEntry.reason).order_by(SupplyStockEntry.id)))
    assert reasons == ["received", "ordered", "cancelled"]
    actions = set(db_session.scalars(select(AuditRecord.action).where(AuditRecord.action.like("supply_%"))))
    assert {"supply_item.created", "supply_order.placed", "supply_order.cancelled"} <= actions


def test_receive_and_count_are_ledger_rows_with_who_and_why(app, db_session, actor):
    found = load(db_session, item("KIT", stock=10))
    runner = app.test_cli_runner()
    assert json.loads(runner.invoke(args=["supplies", "receive", "KIT", "25", "--reason", "PO 4411"]).output)["stock"] == 35
    assert json.loads(runner.invoke(args=["supplies", "count", "KIT", "33", "--reason", "March count"]).output)["stock"] == 33
    rows = list(db_session.scalars(select(SupplyStockEntry).order_by(SupplyStockEntry.id)))
    assert [(r.change, r.stock_after, r.reason, r.note) for r in rows[1:]] == [
        (25, 35, "received", "PO 4411"), (-2, 33, "counted", "March count")]
    assert rows[-1].actor_label == "cli: supplies count"
    db_session.refresh(found["KIT"])
    assert supplies.ledger_total(db_session, found["KIT"]) == found["KIT"].stock == 33
    refused = runner.invoke(args=["supplies", "receive", "KIT", "0", "--reason", "x"])
    assert refused.exit_code != 0


# --- Counter and shipping ----------------------------------------------------------------------

def test_a_counter_order_is_handed_over_at_once_and_never_shipped(db_session, actor):
    load(db_session, item("KIT"))
    placed = _order(db_session, make_account(db_session), ("KIT", 1), channel="counter")
    assert placed.status == "handed_over"
    assert supplies.start_batch(db_session) is None


def test_a_batch_takes_each_open_order_once_in_zip_order_and_a_rerun_makes_none(app, db_session, actor, tmp_path):
    load(db_session, item("KIT", stock=10))
    north, south = make_account(db_session, zip_code="94710"), make_account(db_session, zip_code="94501")
    late = make_account(db_session, zip_code="94601")
    cancelled = _order(db_session, make_account(db_session, zip_code="94000"), ("KIT", 1))
    supplies.cancel(db_session, cancelled, "no")
    first = [_order(db_session, north, ("KIT", 1)), _order(db_session, south, ("KIT", 1))]
    runner = app.test_cli_runner()
    out = tmp_path / "batch.html"
    made = json.loads(runner.invoke(args=["supplies", "ship", "--out", str(out)]).output)
    assert made["orders"] == 2
    page = out.read_text()
    assert page.index("94501") < page.index("94710") and "94000" not in page
    assert json.loads(runner.invoke(args=["supplies", "ship"]).output) == {"batch": None, "orders": 0}
    again_out = tmp_path / "again.html"
    runner.invoke(args=["supplies", "ship", "--batch", str(made["batch"]), "--out", str(again_out)])
    assert again_out.read_text() == page                       # the same batch written again
    assert db_session.scalar(select(func.count()).select_from(SupplyBatch)) == 1
    _order(db_session, late, ("KIT", 1))
    again = json.loads(runner.invoke(args=["supplies", "ship"]).output)
    assert again["orders"] == 1 and again["batch"] != made["batch"]
    for placed in first:
        db_session.refresh(placed)
        assert placed.batch_id == made["batch"]
        with pytest.raises(Conflict):
            supplies.cancel(db_session, placed, "too late")


def test_marking_a_batch_shipped_tells_each_customer_in_their_language(db_session, actor):
    load(db_session, item("KIT"))
    rosa = make_user(db_session, language="es")
    account = make_account(db_session)
    link(db_session, rosa, account)
    placed = _order(db_session, account, ("KIT", 1), customer=rosa, language="es")
    batch = supplies.start_batch(db_session)
    assert supplies.mark_shipped(db_session, batch) == 1
    assert placed.status == "shipped"
    message = db_session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == rosa.email))
    assert message.language == "es" and message.kind == "supply_order.shipped"
    assert placed.number in message.body_text and "Artículo kit" in message.body_text
    with pytest.raises(Conflict):
        supplies.mark_shipped(db_session, batch)
