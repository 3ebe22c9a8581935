"""Which inspections a reservation or claim needs, and why: pure, so the lifecycle and tests agree.

A measure's definition says `"pre_inspection"`/`"post_inspection"`: `"always"`, `"never"`, or a rule
(`{"quantity_at_least": 5}`, `{"amount_at_least": "2500.00"}`), plus `"quality_share"` (a percent
string) for random quality checks. The random draw takes an `rng` so a test can seed it, and the
reason names what triggered each inspection so a customer and an auditor can read it.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

KINDS = ("pre", "post", "quality")
TRIGGER_WORDS = ("always", "never")
TRIGGER_RULES = ("quantity_at_least", "amount_at_least")


@dataclass(frozen=True, slots=True)
class Required:
    kind: str       # pre, post, quality
    reason: str     # "always", "quantity_at_least 5", "amount_at_least 2500.00", "random 10%"


def triggered(rule: Any, quantity: int, amount: Decimal) -> str | None:
    """The reason a rule asks for an inspection of this project, or None when it does not."""
    if rule is None or rule == "never":
        return None
    if rule == "always":
        return "always"
    if isinstance(rule, Mapping):
        if "quantity_at_least" in rule and quantity >= int(rule["quantity_at_least"]):
            return f"quantity_at_least {int(rule['quantity_at_least'])}"
        if "amount_at_least" in rule and Decimal(amount) >= Decimal(str(rule["amount_at_least"])):
            return f"amount_at_least {Decimal(str(rule['amount_at_least'])):.2f}"
    return None


def required_inspections(measure_definition: Mapping, quantity: int, amount: Decimal | str,
                         rng: random.Random | None = None) -> list[Required]:
    """The inspections a project needs: pre and post by rule; a quality check by random draw
    only when no post-inspection is due already (the site is seen either way)."""
    amount = Decimal(str(amount))
    out = []
    for kind in ("pre", "post"):
        reason = triggered(measure_definition.get(f"{kind}_inspection"), quantity, amount)
        if reason:
            out.append(Required(kind, reason))
    share = Decimal(str(measure_definition.get("quality_share") or "0"))
    if share > 0 and not any(r.kind == "post" for r in out):
        draw = Decimal((rng or random.SystemRandom()).randrange(10_000)) / 100
        if draw < share:
            out.append(Required("quality", f"random {share.normalize():f}%"))
    return out


def reschedules_left(count: int, limit: int = 2) -> int:
    return max(0, limit - count)
