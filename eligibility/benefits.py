"""How much of a bill a program gives back: pure functions, prorated by days, never more than the charges."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable, Iterable, Mapping


@dataclass(frozen=True)
class Segment:
    """Days of a billing period under one rule version while the enrollment held."""

    start: date
    end: date
    benefit: Mapping
    version: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def segments(bill_start: date, bill_end: date, enrolled_from: date, enrolled_to: date,
             version_on: Callable[[date], tuple[str, Mapping] | None]) -> list[Segment]:
    """Split the billing period into runs of days with the same rule version, inside the enrollment."""
    out: list[Segment] = []
    day = max(bill_start, enrolled_from)
    last = min(bill_end, enrolled_to)
    while day <= last:
        found = version_on(day)
        if found is not None:
            version_id, benefit = found
            if out and out[-1].version == version_id and out[-1].end == day - timedelta(days=1):
                out[-1] = Segment(out[-1].start, day, benefit, version_id)
            else:
                out.append(Segment(day, day, benefit, version_id))
        day += timedelta(days=1)
    return out


def credit_cents(*, bill_start: date, bill_end: date, service: str, charges_cents: int, parts: Iterable[Segment],
                 tier: str | None = None) -> int:
    """The credit for one bill: each segment's share of the period, summed, rounded once, capped."""
    if charges_cents <= 0:
        return 0
    period_days = Decimal((bill_end - bill_start).days + 1)
    total = Decimal(0)
    for part in parts:
        share = Decimal(part.days) / period_days
        benefit = part.benefit
        if benefit.get("kind") == "per_tier":
            benefit = (benefit.get("tiers") or {}).get(tier or "", {})
        kind = benefit.get("kind")
        if kind == "percent_of_charges":
            percent = benefit.get("percent", {}).get(service)
            if percent is not None:
                total += Decimal(charges_cents) * Decimal(percent) / 100 * share
        elif kind == "monthly_credit":
            total += Decimal(benefit["amount_cents"]) * share
    cents = int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return max(0, min(cents, charges_cents))
