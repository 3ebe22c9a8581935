"""Supply items written by test code."""
from __future__ import annotations

import json


def item(code="TEST-KIT", *, stock=10, quantity=1, months=36, who="anyone", cost="15.40", **extra) -> dict:
    spec = {"code": code, "name": {"en": f"{code.title()} item", "es": f"Artículo {code.lower()}"},
            "unit_cost": cost, "limit": {"quantity": quantity, "months": months}, "initial_stock": stock}
    if who != "anyone":
        spec["who_may_order"] = {"enrolled_in": who}
    spec.update(extra)
    return spec


def document(*items) -> dict:
    return {"supplies": list(items) or [item()]}


def write(tmp_path, doc, name="supplies.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return str(path)


def load(session, *items):
    from core.audit import Actor, acting_as
    from rebates import supplies

    acting_as(Actor(label="test"))
    supplies.load_supplies(session, supplies.parse(document(*items)))
    return {i["code"]: supplies.get_item(session, i["code"]) for i in items}
