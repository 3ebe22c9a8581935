"""Free water-saving supplies: loading the items, ordering, stock, and shipping batches.

Stock is taken with one conditional UPDATE (`stock = stock - n WHERE stock >= n`): of two orders
for the last unit, PostgreSQL makes the second wait for the first's row and re-checks the
condition, SQLite lets one writer at a time; the loser gets a 409 and nothing of its order is
kept. The per-household limit is checked in the same transaction under a lock on the premise, so
two orders for one home cannot both slip under it. Each function flushes; the caller commits.
"""
from __future__ import annotations

import calendar
import json
import zlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask_babel import force_locale, gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from accounts.models import Account
from core import audit, clock
from core.audit import current_actor
from core.database import lock_for_change
from core.errors import AssistError, Conflict, Invalid, NotFound
from core.money import MoneyError, parse_dollars
from core.outbox import queue_message
from eligibility.enrolled import enrolled_programs
from rebates.service import premise_of
from rebates.supply_models import (CHANNELS, SupplyBatch, SupplyItem, SupplyOrder, SupplyOrderLine,
                                   SupplyStockEntry)

DATA = Path(__file__).resolve().parent / "data"
EXAMPLE_FILE = "example_supplies.json"
MAX_QUANTITY = 100
_KEYS = {"code", "name", "unit_cost", "limit", "who_may_order", "initial_stock", "enabled", "example"}


class SupplyFileError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# --- The supplies file -------------------------------------------------------------------------

def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def parse(data: Any) -> list[dict]:
    """Every problem of a supplies document, each named by its place; the items when there is none."""
    if not isinstance(data, dict) or not isinstance(data.get("supplies"), list) or not data["supplies"]:
        raise SupplyFileError(['supplies: give {"supplies": [...]} with at least one item'])
    problems: list[str] = []
    items: list[dict] = []
    seen: set[str] = set()
    for i, spec in enumerate(data["supplies"]):
        at = f"supplies[{i}]"
        if not isinstance(spec, dict):
            problems.append(f"{at}: give an object")
            continue
        for key in sorted(set(spec) - _KEYS):
            problems.append(f"{at}.{key}: unknown key")
        code = spec.get("code")
        if not isinstance(code, str) or not code.strip() or len(code) > 40 or code != code.strip().upper():
            problems.append(f"{at}.code: give a code in capitals of at most 40 characters, like SHOWERHEAD")
        elif code in seen:
            problems.append(f"{at}.code: {code} is given twice")
        else:
            seen.add(code)
        name = spec.get("name")
        if not isinstance(name, dict) or not all(isinstance(name.get(k), str) and name[k].strip() for k in ("en", "es")):
            problems.append(f'{at}.name: give {{"en": ..., "es": ...}}')
        cost = None
        try:
            cost = parse_dollars(spec.get("unit_cost") if "unit_cost" in spec else "", allow_negative=False)
        except MoneyError as exc:
            problems.append(f"{at}.unit_cost: {exc} (in dollars, as text)")
        limit = spec.get("limit")
        if not isinstance(limit, dict) or set(limit) != {"quantity", "months"} \
                or not _whole(limit.get("quantity"), 1, MAX_QUANTITY) or not _whole(limit.get("months"), 1, 240):
            problems.append(f'{at}.limit: give {{"quantity": 1 to {MAX_QUANTITY}, "months": 1 to 240}} per premise')
        who = spec.get("who_may_order", "anyone")
        programs: list[str] = []
        if who == "anyone":
            pass
        elif isinstance(who, dict) and set(who) == {"enrolled_in"} and isinstance(who["enrolled_in"], list) \
                and who["enrolled_in"] and all(isinstance(p, str) and p.strip() for p in who["enrolled_in"]):
            programs = sorted(set(who["enrolled_in"]))
        else:
            problems.append(f'{at}.who_may_order: give "anyone" or {{"enrolled_in": ["CARE", ...]}}')
        stock = spec.get("initial_stock", 0)
        if not _whole(stock, 0, 10_000_000):
            problems.append(f"{at}.initial_stock: give a whole number of units, 0 or more")
        for flag in ("enabled", "example"):
            if flag in spec and not isinstance(spec[flag], bool):
                problems.append(f"{at}.{flag}: give true or false")
        items.append({"code": code, "names": name, "unit_cost_cents": cost,
                      "limit_quantity": (limit or {}).get("quantity") if isinstance(limit, dict) else None,
                      "window_months": (limit or {}).get("months") if isinstance(limit, dict) else None,
                      "who_may_order": "enrolled" if programs else "anyone", "programs": programs,
                      "initial_stock": stock, "enabled": spec.get("enabled", True), "example": spec.get("example", False)})
    if problems:
        raise SupplyFileError(problems)
    return items


def read_file(path: Path | str) -> list[dict]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SupplyFileError([f"cannot read {path}: {exc}"]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SupplyFileError([f"{Path(path).name} is not JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}"]) from None
    return parse(data)


@dataclass
class LoadReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0

    def as_dict(self) -> dict:
        return {"supplies_added": self.added, "supplies_updated": self.updated, "supplies_unchanged": self.unchanged}


_ATTRIBUTES = ("names", "unit_cost_cents", "limit_quantity", "window_months", "who_may_order", "programs",
               "enabled", "example")


def load_supplies(session: Session, items: list[dict]) -> LoadReport:
    """Add or update items; `initial_stock` is the stock of a new item only (later: receive and count)."""
    now = clock.now()
    report = LoadReport()
    stored = {i.code: i for i in session.scalars(select(SupplyItem))}
    for spec in items:
        item = stored.get(spec["code"])
        attributes = {k: spec[k] for k in _ATTRIBUTES}
        if item is None:
            item = SupplyItem(code=spec["code"], stock=0, created_at=now, updated_at=now, **attributes)
            session.add(item)
            session.flush()
            report.added.append(item.code)
            audit.record(session, "supply_item.created", obj=item, object_id=item.code, details={
                "names": item.names, "unit_cost_cents": item.unit_cost_cents, "limit": [item.limit_quantity,
                                                                                       item.window_months]})
            if spec["initial_stock"]:
                _change_stock(session, item, spec["initial_stock"], "received", "initial stock from the supplies file")
        elif any(getattr(item, k) != v for k, v in attributes.items()):
            changed = {k: [getattr(item, k), v] for k, v in attributes.items() if getattr(item, k) != v}
            for key, value in attributes.items():
                setattr(item, key, value)
            item.updated_at = now
            report.updated.append(item.code)
            audit.record(session, "supply_item.updated", obj=item, object_id=item.code,
                         reason="supplies loaded from a file", details={"changed": sorted(changed)})
        else:
            report.unchanged += 1
    session.flush()
    return report


def example_items() -> list[dict]:
    return read_file(DATA / EXAMPLE_FILE)


# --- Stock -------------------------------------------------------------------------------------

def _change_stock(session: Session, item: SupplyItem, change: int, reason: str, note: str,
                  order: SupplyOrder | None = None) -> int:
    """Add `change` (negative takes) in one conditional UPDATE; 409 when it would go below zero."""
    after = session.scalar(update(SupplyItem).where(SupplyItem.id == item.id, SupplyItem.stock + change >= 0)
                           .values(stock=SupplyItem.stock + change).returning(SupplyItem.stock)
                           .execution_options(synchronize_session=False))
    if after is None:
        raise Conflict(_("Not enough %(item)s left in stock.", item=item.name(_language())))
    session.expire(item, ["stock"])
    actor = current_actor()
    session.add(SupplyStockEntry(item_id=item.id, change=change, stock_after=after, reason=reason, note=note,
                                 order_id=order.id if order else None, created_at=clock.now(),
                                 actor_id=actor.user_id, actor_label=actor.label))
    return after


def _language() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return "es" if locale is not None and locale.language == "es" else "en"


def get_item(session: Session, code: str) -> SupplyItem:
    item = session.scalar(select(SupplyItem).where(SupplyItem.code == (code or "").strip().upper()))
    if item is None:
        raise NotFound(_("No such supply item."))
    return item


def receive(session: Session, item: SupplyItem, quantity: int, reason: str) -> int:
    """Units delivered to the warehouse."""
    if quantity < 1:
        raise Invalid(_("Give how many units arrived."), fields={"quantity": [_("Give a whole number, 1 or more.")]})
    if not reason.strip():
        raise Invalid(_("Say why."), fields={"reason": [_("Say why.")]})
    after = _change_stock(session, item, quantity, "received", reason.strip())
    audit.record(session, "supply_item.received", obj=item, object_id=item.code, reason=reason.strip(),
                 details={"quantity": quantity, "stock": after})
    return after


def count(session: Session, item: SupplyItem, counted: int, reason: str) -> int:
    """A count of the shelf: the difference from the books becomes one ledger row."""
    if counted < 0:
        raise Invalid(_("Give the units counted."), fields={"quantity": [_("Give a whole number, 0 or more.")]})
    if not reason.strip():
        raise Invalid(_("Say why."), fields={"reason": [_("Say why.")]})
    # A row lock: an order taking stock between reading and writing would make the count wrong.
    before = session.scalar(select(SupplyItem.stock).where(SupplyItem.id == item.id).with_for_update())
    if counted != before:
        _change_stock(session, item, counted - before, "counted", reason.strip())
    audit.record(session, "supply_item.counted", obj=item, object_id=item.code, reason=reason.strip(),
                 details={"books": before, "counted": counted})
    return counted


def ledger_total(session: Session, item: SupplyItem) -> int:
    return session.scalar(select(func.coalesce(func.sum(SupplyStockEntry.change), 0))
                          .where(SupplyStockEntry.item_id == item.id))


# --- Who may order what ------------------------------------------------------------------------

def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def used_on_premise(session: Session, item: SupplyItem, premise: str, on: date) -> int:
    """Units of the item ordered for the premise within the item's window before `on` (cancelled ones don't count)."""
    since = _add_months(on, -item.window_months)
    return session.scalar(select(func.coalesce(func.sum(SupplyOrderLine.quantity), 0))
                          .join(SupplyOrder, SupplyOrder.id == SupplyOrderLine.order_id)
                          .where(SupplyOrderLine.item_id == item.id, SupplyOrder.premise == premise,
                                 SupplyOrder.status != "cancelled", SupplyOrder.ordered_on > since))


def may_order(item: SupplyItem, enrolled: set[str]) -> bool:
    return item.enabled and (item.who_may_order == "anyone" or bool(enrolled & set(item.programs)))


@dataclass(frozen=True)
class Offer:
    item: SupplyItem
    left_for_home: int     # how many more the premise may order now

    @property
    def in_stock(self) -> bool:
        return self.item.stock > 0


def offers(session: Session, account: Account | None, on: date | None = None) -> list[Offer]:
    """The items this account's household may order, and how many more each."""
    on = on or clock.today()
    enrolled = enrolled_programs(session, account.id, on) if account is not None else set()
    premise = premise_of(account) if account is not None else None
    out = []
    for item in session.scalars(select(SupplyItem).where(SupplyItem.enabled.is_(True)).order_by(SupplyItem.code)):
        if account is None:
            if item.who_may_order == "anyone":
                out.append(Offer(item, item.limit_quantity))
            continue
        if may_order(item, enrolled):
            out.append(Offer(item, max(0, item.limit_quantity - used_on_premise(session, item, premise, on))))
    return out


# --- Orders ------------------------------------------------------------------------------------

def _lines(session: Session, wanted: list[dict]) -> list[tuple[SupplyItem, int]]:
    problems: dict[str, list[str]] = {}
    chosen: dict[int, tuple[SupplyItem, int]] = {}
    if not wanted:
        raise Invalid(_("Choose at least one item."), fields={"items": [_("Choose at least one item.")]})
    for i, line in enumerate(wanted):
        code, quantity = line.get("supply"), line.get("quantity")
        item = session.scalar(select(SupplyItem).where(SupplyItem.code == str(code or "").strip().upper(),
                                                       SupplyItem.enabled.is_(True)))
        if item is None:
            problems.setdefault(f"items.{i}.supply", []).append(_("No such supply item."))
        elif not _whole(quantity, 1, MAX_QUANTITY):
            problems.setdefault(f"items.{i}.quantity", []).append(_("Give a whole number, 1 or more."))
        elif item.id in chosen:
            problems.setdefault(f"items.{i}.supply", []).append(_("This item is listed twice."))
        else:
            chosen[item.id] = (item, quantity)
    if problems:
        raise Invalid(_("Some items cannot be ordered."), fields=problems)
    return [chosen[k] for k in sorted(chosen)]  # by id: two orders take their rows in one order, no deadlock


def place_order(session: Session, account: Account, wanted: list[dict], *, channel: str, customer=None,
                language: str = "en") -> SupplyOrder:
    """An order for the account's household: who may order, the limit, then stock, in one transaction."""
    if channel not in CHANNELS:
        raise Invalid(_("Not a way to order."), fields={"channel": [_("Give online, phone or counter.")]})
    today = clock.today()
    lines = _lines(session, wanted)
    premise = premise_of(account)
    lock_for_change(session, "supply_premises", zlib.crc32(premise.encode()))
    enrolled = enrolled_programs(session, account.id, today)
    problems: dict[str, list[str]] = {}
    index = {item.id: i for i, line in enumerate(wanted) for item, _q in lines
             if str(line.get("supply") or "").strip().upper() == item.code}
    for item, quantity in lines:
        at = f"items.{index[item.id]}"
        if not may_order(item, enrolled):
            problems.setdefault(f"{at}.supply", []).append(
                _("Only households enrolled in %(programs)s may order this.", programs=", ".join(item.programs)))
            continue
        used = used_on_premise(session, item, premise, today)
        if used + quantity > item.limit_quantity:
            left = max(0, item.limit_quantity - used)
            problems.setdefault(f"{at}.quantity", []).append(
                _("Your home may order %(limit)s every %(months)s months; %(left)s more now.",
                  limit=item.limit_quantity, months=item.window_months, left=left))
    if problems:
        raise Invalid(_("Some items cannot be ordered."), fields=problems)
    actor = current_actor()
    order = SupplyOrder(account_id=account.id, customer_id=customer.id if customer else None, premise=premise,
                        status="handed_over" if channel == "counter" else "open", channel=channel,
                        language=language if language in ("en", "es") else "en", ordered_on=today,
                        created_at=clock.now(), created_by_label=actor.label,
                        closed_at=clock.now() if channel == "counter" else None)
    order.lines = [SupplyOrderLine(item_id=item.id, quantity=q, unit_cost_cents=item.unit_cost_cents)
                   for item, q in lines]
    session.add(order)
    session.flush()
    for item, quantity in lines:
        _change_stock(session, item, -quantity, "ordered", f"order {order.number}", order)
    audit.record(session, "supply_order.placed", obj=order, object_id=order.number,
                 details={"account": account.number, "channel": channel,
                          "items": {item.code: q for item, q in lines}})
    session.flush()
    return order


def cancel(session: Session, order: SupplyOrder, reason: str) -> SupplyOrder:
    """An open order not yet packed gives its stock back."""
    lock_for_change(session, "supply_orders", order.id)
    taken = session.execute(update(SupplyOrder).where(SupplyOrder.id == order.id, SupplyOrder.status == "open",
                                                      SupplyOrder.batch_id.is_(None))
                            .values(status="cancelled", closed_at=clock.now(), cancel_reason=reason.strip() or None)
                            .execution_options(synchronize_session=False)).rowcount
    if not taken:
        raise Conflict(_("This order is already packed, shipped or cancelled."))
    session.refresh(order)
    for line in order.lines:
        _change_stock(session, line.item, line.quantity, "cancelled", f"order {order.number} cancelled", order)
    audit.record(session, "supply_order.cancelled", obj=order, object_id=order.number, reason=reason or None)
    session.flush()
    return order


def order_for(session: Session, order_id: int, user) -> SupplyOrder:
    """The order as this person may see it: staff any, a customer only those of their linked accounts."""
    from accounts.service import is_linked

    order = session.get(SupplyOrder, order_id)
    if order is None or (user.role == "customer" and not is_linked(session, user.id, order.account_id)):
        raise NotFound(_("No such order."))
    return order


def orders_of(session: Session, accounts: list[Account]) -> list[SupplyOrder]:
    ids = [a.id for a in accounts]
    if not ids:
        return []
    return list(session.scalars(select(SupplyOrder).where(SupplyOrder.account_id.in_(ids))
                                .options(selectinload(SupplyOrder.lines).selectinload(SupplyOrderLine.item))
                                .order_by(SupplyOrder.id.desc())))


# --- Shipping ----------------------------------------------------------------------------------

_WAITING = (SupplyOrder.status == "open", SupplyOrder.batch_id.is_(None))


def start_batch(session: Session) -> SupplyBatch | None:
    """Take every open order not yet packed into a new batch; None (no batch kept) when none waits.

    One UPDATE takes them: of two runs at once, the second finds them taken (as print runs do).
    """
    actor = current_actor()
    batch = SupplyBatch(created_at=clock.now(), created_by_label=actor.label, orders=0)
    session.add(batch)
    session.flush()
    taken = list(session.scalars(update(SupplyOrder).where(*_WAITING).values(batch_id=batch.id)
                                 .returning(SupplyOrder.id).execution_options(synchronize_session=False)))
    if not taken:
        session.delete(batch)
        session.flush()
        return None
    batch.orders = len(taken)
    audit.record(session, "supply_batch.created", obj=batch, reason=f"{len(taken)} orders packed",
                 details={"orders": len(taken)})
    session.flush()
    return batch


def get_batch(session: Session, batch_id: int) -> SupplyBatch:
    batch = session.get(SupplyBatch, batch_id)
    if batch is None:
        raise NotFound(_("No such batch."))
    return batch


def recent_batches(session: Session, limit: int = 25) -> list[SupplyBatch]:
    return list(session.scalars(select(SupplyBatch).order_by(SupplyBatch.id.desc()).limit(limit)))


def batch_orders(session: Session, batch: SupplyBatch) -> list[tuple[SupplyOrder, Account]]:
    """The batch's orders with their accounts in ZIP order, as presorted parcels are posted."""
    query = (select(SupplyOrder, Account).join(Account, Account.id == SupplyOrder.account_id)
             .where(SupplyOrder.batch_id == batch.id).order_by(Account.zip, Account.number, SupplyOrder.id)
             .options(selectinload(SupplyOrder.lines).selectinload(SupplyOrderLine.item)))
    return [tuple(row) for row in session.execute(query)]


def mark_shipped(session: Session, batch: SupplyBatch) -> int:
    """The batch left the building: its orders are shipped and each customer with an email is told."""
    from auth.models import User

    lock_for_change(session, "supply_batches", batch.id)
    session.refresh(batch)
    if batch.shipped_at is not None:
        raise Conflict(_("This batch is already marked shipped."))
    actor = current_actor()
    batch.shipped_at = clock.now()
    batch.shipped_by_label = actor.label
    rows = batch_orders(session, batch)
    told = 0
    for order, account in rows:
        if order.status != "open":
            continue
        order.status = "shipped"
        order.closed_at = batch.shipped_at
        user = session.get(User, order.customer_id) if order.customer_id else None
        if user is not None:
            language = user.language if user.language in ("en", "es") else order.language
            with force_locale(language):
                items = "\n".join(f"- {line.quantity} × {line.item.name(language)}" for line in order.lines)
                queue_message(session, to=user.email, kind="supply_order.shipped", language=language,
                              user_id=user.id, subject=_("Your free water-saving supplies are on their way"),
                              body=_("Your order %(number)s was shipped to %(address)s today:\n\n%(items)s\n\n"
                                     "Thank you for saving water.", number=order.number,
                                     address=f"{account.service_address}, {account.city} {account.zip}",
                                     items=items))
            told += 1
    audit.record(session, "supply_batch.shipped", obj=batch, details={"orders": len(rows), "told": told})
    session.flush()
    return len(rows)


def render_batch(session: Session, batch: SupplyBatch) -> str:
    from flask import current_app

    template = current_app.jinja_env.get_template("rebates/supplies/batch_file.html")
    return template.render(batch=batch, rows=batch_orders(session, batch))
