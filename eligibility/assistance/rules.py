"""What an application's documents say, and what the CSR should look at: pure functions.

Flags inform; they never block a decision.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Iterable, Mapping

from documents import name_control
from eligibility.rules import FREQUENCIES, Household, IncomeSource, Member

DEFAULT_TOLERANCE = Decimal("0.10")
COMPARED_STATUSES = ("parsed", "needs_review")
TRANSCRIPTS_WITH_AGI = ("tax_return_transcript", "account_transcript", "record_of_account")
W_AND_I_INCOME = ("wages", "unemployment_compensation", "social_security_benefits", "pensions", "business_income",
                  "interest", "dividends", "other_income")


@dataclass(frozen=True)
class ParsedDocument:
    document_id: int
    requirement: str
    status: str
    result: Mapping
    sha256: str


@dataclass(frozen=True)
class FlagNote:
    code: str
    message: str
    details: Mapping
    program: str | None = None


def household_from(data: Mapping) -> Household:
    return Household(tuple(
        Member(age=m["age"], name=m.get("name"), relationship=m.get("relationship"),
               incomes=tuple(IncomeSource(i["kind"], i["amount_cents"], i["frequency"]) for i in m.get("incomes", ())))
        for m in data.get("members", ())))


def declared_income(household: Mapping) -> int:
    return sum(i["amount_cents"] * FREQUENCIES[i["frequency"]] for m in household.get("members", ())
               for i in m.get("incomes", ()))


def documented_income(documents: Iterable[ParsedDocument],
                      statuses: tuple[str, ...] = ("parsed",)) -> tuple[int | None, list[int]]:
    """Yearly household income the income documents show, and which documents said so.

    A return or account transcript gives adjusted gross income; a Wage & Income transcript the sum
    of its information returns; a verification of non-filing, zero. Only documents in `statuses`
    count (parsed ones for the determination), and only the newest tax year is used.
    """
    usable = [d for d in documents if d.requirement == "income" and d.status in statuses
              and (d.result or {}).get("document_type") not in (None, "unknown")]
    if not usable:
        return None, []
    newest = max((d.result.get("tax_year") or 0) for d in usable)
    total, used = 0, []
    by_tracking: set[str] = set()
    for d in usable:
        if (d.result.get("tax_year") or 0) != newest:
            continue
        tracking = d.result.get("tracking_number")
        if tracking and tracking in by_tracking:
            continue
        if tracking:
            by_tracking.add(tracking)
        amounts = d.result.get("amounts_cents") or {}
        kind = d.result.get("document_type")
        if kind in TRANSCRIPTS_WITH_AGI and "adjusted_gross_income" in amounts:
            total += max(0, amounts["adjusted_gross_income"])
        elif kind == "wage_and_income_transcript":
            total += sum(max(0, amounts.get(k, 0)) for k in W_AND_I_INCOME)
        elif kind == "verification_of_nonfiling":
            total += 0
        else:
            continue
        used.append(d.document_id)
    return (total, used) if used else (None, [])


def household_with_income(household: Household, annual_cents: int) -> Household:
    """The same people, with the documented yearly income on the first adult."""
    members = list(household.members)
    index = next((i for i, m in enumerate(members) if m.is_adult), 0)
    for i, m in enumerate(members):
        incomes = (IncomeSource("other", annual_cents, "annual"),) if i == index and annual_cents else ()
        members[i] = Member(age=m.age, incomes=incomes, name=m.name, relationship=m.relationship)
    return Household(tuple(members))


def mismatch(declared: int, documented: int, tolerance: Decimal = DEFAULT_TOLERANCE) -> bool:
    """More than the tolerance apart, measured against the larger of the two."""
    larger = max(declared, documented)
    return larger > 0 and Decimal(abs(declared - documented)) > tolerance * larger


def _names(household: Mapping) -> list[str]:
    return [m["name"] for m in household.get("members", ()) if (m.get("name") or "").strip()]


def missing_documents(categorical: Iterable[str], requirements: Iterable[str]) -> list[str]:
    """What an application still lacks: proof of income (unless a benefit is claimed instead) and
    proof of each benefit claimed, as requirement codes."""
    have, categorical = set(requirements), list(categorical)
    missing = []
    if "income" not in have and not categorical:
        missing.append("income")
    if categorical and "categorical" not in have:
        missing.append("categorical")
    return missing


def flags(*, household: Mapping, categorical: list[str], documents: list[ParsedDocument], submitted_on: date,
          tolerance: Decimal = DEFAULT_TOLERANCE, used_elsewhere: Mapping[int, str] = {},
          enrolled_in: Iterable[str] = (), open_elsewhere: Iterable[str] = ()) -> list[FlagNote]:
    notes: list[FlagNote] = []
    missing = missing_documents(categorical, [d.requirement for d in documents])
    if "income" in missing:
        notes.append(FlagNote("missing_document", "No proof of income was uploaded.", {"requirement": "income"}))
    if "categorical" in missing:
        notes.append(FlagNote("missing_document", "No proof of the enrollment(s) "
                              f"{', '.join(categorical)} was uploaded.", {"requirement": "categorical"}))
    declared = declared_income(household)
    # Figures read from a document a person must still check count here: a transcript far from
    # the declared income is worth a flag even when another of its lines could not be read.
    documented, used = documented_income(documents, COMPARED_STATUSES)
    if documented is not None and mismatch(declared, documented, tolerance):
        unread = [d.document_id for d in documents if d.document_id in used and d.status != "parsed"]
        message = f"Declared income ${declared / 100:,.2f} a year; documents show ${documented / 100:,.2f}."
        if unread:
            message += (f" Document{'s' if len(unread) > 1 else ''} {', '.join(map(str, unread))} still "
                        f"need{'' if len(unread) > 1 else 's'} a person to check {'them' if len(unread) > 1 else 'it'}.")
        notes.append(FlagNote("income_mismatch", message, {"declared_cents": declared, "documented_cents": documented,
                                                           "documents": used, "unchecked": unread,
                                                           "tolerance": str(tolerance)}))
    ssns = {m.get("ssn_last4") for m in household.get("members", ()) if m.get("ssn_last4")}
    names = _names(household)
    for d in documents:
        result = d.result or {}
        year = result.get("tax_year")
        if year and year < submitted_on.year - 2:
            notes.append(FlagNote("stale_tax_year", f"Document {d.document_id} is for tax year {year}; a newer "
                                  "year should be available.", {"document": d.document_id, "tax_year": year}))
        last4 = result.get("ssn_last4")
        if last4 and ssns and last4 not in ssns:
            notes.append(FlagNote("ssn_mismatch", f"Document {d.document_id} is for SSN ending {last4}, which "
                                  "matches no one in the household.", {"document": d.document_id}))
        control = result.get("name_control")
        if control and names and not any(name_control.matches(control, name) for name in names):
            notes.append(FlagNote("name_mismatch", f"Document {d.document_id} is for name control {control}, "
                                  "which matches no one in the household.", {"document": d.document_id}))
        if d.document_id in used_elsewhere:
            notes.append(FlagNote("document_reused", f"Document {d.document_id} (the same file or tracking "
                                  f"number) is also on application {used_elsewhere[d.document_id]}.",
                                  {"document": d.document_id, "other": used_elsewhere[d.document_id]}))
        corrected = [p for p in result.get("problems") or () if p.get("code") == "per_computer_differs"]
        if corrected:
            # The IRS changed the return's figures; its figure is the one used, and the CSR should know.
            notes.append(FlagNote("per_computer_differs", f"Document {d.document_id}: the IRS corrected the return. "
                                  + " ".join(p["message"] + "." for p in corrected),
                                  {"document": d.document_id}))
        if d.status in ("needs_review", "rejected"):
            notes.append(FlagNote("document_unread", f"Document {d.document_id} could not be read by the parser "
                                  f"({d.status}).", {"document": d.document_id}))
    for code in enrolled_in:
        notes.append(FlagNote("already_enrolled", f"The account is already enrolled in {code}.", {}, code))
    for code in open_elsewhere:
        notes.append(FlagNote("open_application", f"Another open application for this account asks for {code}.",
                              {}, code))
    return notes
