"""Transcripts as the IRS lays them out (issue 13, part 1), read from generated PDFs in both layouts.

Labels with a suffix before the value, the Account Transcript's period on the form line, PER
COMPUTER corrections that leave the document parsed, figures from a document still in review
feeding the income comparison, and evidence quoted as the document's own lines. The last test
runs the parser over every fixture the suite generates.
"""
from __future__ import annotations

import io
from datetime import date

import pdfplumber
import pytest

from documents.parser import parse_bytes
from documents.transcripts import clean_lines, redact
from eligibility.assistance import rules
from tests.documents import fixtures as fx

PERSON = fx.Taxpayer(ssn_last4="4321", name="MARIA L GARC", tracking="100098765432", year=2023,
                     filing_status="Head of Household", exemptions=3)
AMOUNTS = {"wages": 3_120_000, "interest": 0, "business_income": -1_432_000, "unemployment_compensation": 410_000,
           "social_security_benefits": 120_000, "total_income": 2_219_000, "adjusted_gross_income": 2_169_000,
           "taxable_income": 0}
STYLES = {
    "legacy": fx.Style("legacy"),
    "current": fx.Style("current"),
    "legacy-next-line": fx.Style("legacy", next_line=True),
    "current-next-line": fx.Style("current", next_line=True),
    "legacy-wrapped": fx.Style("legacy", wrap=("ADJUSTED GROSS INCOME", "TOTAL INCOME PER COMPUTER")),
    "current-wrapped": fx.Style("current", wrap=("Adjusted gross income",)),
    "legacy-page-breaks": fx.Style("legacy", rows_per_page=7),
    "current-browser-print": fx.Style("current", browser_print=True, rows_per_page=9),
}
LAYOUTS = ["legacy", "current", "legacy-next-line", "current-next-line"]
SUBMITTED = date(2024, 11, 23)  # tax year 2023 is the newest one then


def qualified(style: fx.Style) -> fx.Style:
    return fx.Style(style.layout, next_line=style.next_line, wrap=style.wrap, rows_per_page=style.rows_per_page,
                    browser_print=style.browser_print, qualifiers=True)


def read(rows, style) -> tuple[dict, set[tuple[int, str]]]:
    """The parse result, and the document's own lines (page, text) as the parser sees them."""
    data = fx.render(rows, style)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        pages = [page.extract_text() or "" for page in pdf.pages]
    return parse_bytes(data, "transcript.pdf"), {(line.page, redact(line.text)) for line in clean_lines(pages)}


def quoted(evidence: dict) -> list[tuple[int, str]]:
    return [(evidence["page"], evidence["line"])] + [(c["page"], c["line"]) for c in evidence.get("continued", [])]


def codes(result: dict) -> list[str]:
    return [p["code"] for p in result["problems"]]


# --- Labels with a suffix ----------------------------------------------------------------------

@pytest.mark.parametrize("style_name", list(STYLES))
def test_a_label_with_a_schedule_suffix_is_read_as_an_amount(style_name):
    style = qualified(STYLES[style_name])
    rows = fx.tax_return_transcript(PERSON, AMOUNTS, style)
    printed = [r for r in fx._lines(rows, style) if "SCH B" in r[0].upper().replace(".", "")]
    assert printed, "the fixture prints the suffix"
    result, _lines = read(rows, style)
    assert result["status"] == "parsed", result["problems"]
    assert result["problems"] == []
    assert result["amounts_cents"] == AMOUNTS
    interest = " ".join(text for _page, text in quoted(result["evidence"]["interest"]))
    assert "SCH" in interest.upper() and "$0.00" in interest


def test_the_issue_line_itself_reads_as_zero_interest():
    style = fx.Style("legacy")
    person = fx.Taxpayer(extra_rows=["TAXABLE INTEREST INCOME: SCH B:......$0.00"])
    result, _lines = read(fx.tax_return_transcript(person, {"adjusted_gross_income": 3_790_000}, style), style)
    assert result["status"] == "parsed" and "unreadable_amount" not in codes(result)
    assert result["amounts_cents"]["interest"] == 0


def test_a_suffix_does_not_hide_a_value_that_is_not_an_amount():
    style = fx.Style("legacy")
    person = fx.Taxpayer(extra_rows=["TAXABLE INTEREST INCOME: SCH B:......$1,2O0.00"])  # a letter O
    result, _lines = read(fx.tax_return_transcript(person, {"adjusted_gross_income": 3_790_000}, style), style)
    assert result["status"] == "needs_review" and "interest" not in result["amounts_cents"]
    assert "unreadable_amount" in codes(result)


# --- The period on the form line ---------------------------------------------------------------

@pytest.mark.parametrize("kind", ["account_transcript", "record_of_account"])
@pytest.mark.parametrize("style_name", LAYOUTS)
def test_the_period_on_the_form_line_gives_the_tax_year(kind, style_name):
    style = fx.Style(STYLES[style_name].layout, next_line=STYLES[style_name].next_line, rows_per_page=20)
    person = fx.Taxpayer(ssn_last4="4321", name="MARIA L GARC", year=2020)
    make = fx.account_transcript if kind == "account_transcript" else fx.record_of_account
    rows = make(person, AMOUNTS, style, period_on_form_line=True)
    assert not any(isinstance(r, tuple) and "Period Ending" in r[0] for r in rows), "no period in the header"
    result, _lines = read(rows, style)
    assert result["document_type"] == kind
    assert result["status"] == "parsed", result["problems"]
    assert result["tax_year"] == 2020 and result["layout"] == style.layout
    assert result["amounts_cents"]["adjusted_gross_income"] == 2_169_000
    where = " ".join(text for _page, text in quoted(result["evidence"]["tax_year"])).upper()
    assert "TAX PERIOD" in where and "2020" in where
    if not style.next_line:
        expected = "FORM NUMBER: 1040 TAX PERIOD: Dec. 31, 2020" if style.layout == "legacy" \
            else "Form number: 1040 Tax period: 12-31-2020"
        assert result["evidence"]["tax_year"]["line"] == expected


def test_the_legacy_account_transcript_as_the_irs_prints_it():
    style = fx.Style("legacy")
    result, _lines = read(fx.account_transcript(fx.Taxpayer(year=2020), AMOUNTS, style), style)
    assert (result["status"], result["tax_year"]) == ("parsed", 2020)


# --- PER COMPUTER corrections --------------------------------------------------------------------

@pytest.mark.parametrize("style_name", list(STYLES))
def test_a_per_computer_difference_is_a_flag_and_the_document_stays_parsed(style_name):
    style = STYLES[style_name]
    result, _lines = read(fx.tax_return_transcript(PERSON, AMOUNTS, style, computer={"adjusted_gross_income": 9_840_000}),
                          style)
    assert result["status"] == "parsed"
    assert codes(result) == ["per_computer_differs"]
    assert result["amounts_cents"]["adjusted_gross_income"] == 9_840_000
    assert "PER COMPUTER" in " ".join(t for _p, t in quoted(result["evidence"]["adjusted_gross_income"])).upper()

    document = rules.ParsedDocument(1, "income", result["status"], result, "sha")
    notes = rules.flags(household=household(9_840_000), categorical=[], documents=[document],
                        submitted_on=SUBMITTED)
    assert [n.code for n in notes] == ["per_computer_differs"]
    assert "$21,690.00" in notes[0].message and "$98,400.00" in notes[0].message


# --- A document in review still feeds the comparison ---------------------------------------------

def household(yearly_cents: int, name: str = "Maria L Garcia") -> dict:
    return {"members": [{"age": 40, "name": name, "relationship": "self", "ssn_last4": "4321",
                         "incomes": [{"kind": "wages", "amount_cents": yearly_cents, "frequency": "annual"}]}]}


@pytest.mark.parametrize("style_name", LAYOUTS)
def test_a_transcript_in_review_with_figures_still_raises_income_mismatch(style_name):
    style = STYLES[style_name]
    label = "TOTAL PENSIONS AND ANNUITIES" if style.layout == "legacy" else "Total pensions and annuities"
    person = fx.Taxpayer(ssn_last4="4321", name="MARIA L GARC", extra_rows=[(label, "$1,2O0.00")])  # misprinted
    result, _lines = read(fx.tax_return_transcript(person, {"adjusted_gross_income": 9_840_000}, style), style)
    assert result["status"] == "needs_review" and "unreadable_amount" in codes(result)
    assert result["amounts_cents"]["adjusted_gross_income"] == 9_840_000

    document = rules.ParsedDocument(7, "income", result["status"], result, "sha")
    notes = {n.code: n for n in rules.flags(household=household(3_790_000), categorical=[], documents=[document],
                                            submitted_on=SUBMITTED)}
    assert set(notes) == {"income_mismatch", "document_unread"}
    mismatch = notes["income_mismatch"]
    assert (mismatch.details["declared_cents"], mismatch.details["documented_cents"]) == (3_790_000, 9_840_000)
    assert mismatch.details["unchecked"] == [7] and "still needs a person" in mismatch.message
    # The determination itself still counts only what was read without doubt.
    assert rules.documented_income([document]) == (None, [])


def test_a_transcript_in_review_close_to_the_declared_income_raises_no_mismatch():
    style = fx.Style("legacy")
    person = fx.Taxpayer(ssn_last4="4321", extra_rows=[("TOTAL PENSIONS AND ANNUITIES", "$1,2O0.00")])
    result, _lines = read(fx.tax_return_transcript(person, {"adjusted_gross_income": 3_800_000}, style), style)
    document = rules.ParsedDocument(7, "income", result["status"], result, "sha")
    notes = rules.flags(household=household(3_790_000, "Zach T Woo"), categorical=[], documents=[document],
                        submitted_on=SUBMITTED)
    assert [n.code for n in notes] == ["document_unread"]


# --- Evidence is the document's line -------------------------------------------------------------

@pytest.mark.parametrize("style_name", ["legacy-next-line", "current-next-line"])
def test_a_value_on_the_next_line_is_quoted_as_two_lines_of_the_document(style_name):
    style = STYLES[style_name]
    result, lines = read(fx.tax_return_transcript(PERSON, AMOUNTS, style), style)
    evidence = result["evidence"]["adjusted_gross_income"]
    label = evidence["line"]
    assert label.upper().startswith("ADJUSTED GROSS INCOME PER COMPUTER:") and "$" not in label
    assert [c["line"] for c in evidence["continued"]] == ["$21,690.00"]
    assert set(quoted(evidence)) <= lines


def test_a_value_on_the_same_line_is_quoted_as_printed():
    style = fx.Style("legacy")
    result, _lines = read(fx.tax_return_transcript(PERSON, AMOUNTS, style), style)
    evidence = result["evidence"]["adjusted_gross_income"]
    assert evidence["line"] == "ADJUSTED GROSS INCOME PER COMPUTER:" + "." * 12 + "$21,690.00"
    assert "continued" not in evidence


def test_a_wrapped_label_is_quoted_line_by_line():
    style = STYLES["legacy-wrapped"]
    result, lines = read(fx.tax_return_transcript(PERSON, AMOUNTS, style), style)
    evidence = result["evidence"]["total_income"]
    assert [text for _page, text in quoted(evidence)] == ["TOTAL INCOME", "PER COMPUTER:" + "." * 34 + "$22,190.00"]
    assert set(quoted(evidence)) <= lines


# --- Every fixture, read again -------------------------------------------------------------------

AT_AMOUNTS = {"adjusted_gross_income": 2_169_000, "taxable_income": 0}
W_AND_I = [(fx.W2, 2_000_000), (fx.W2, 1_120_055), ("1099-G", 450_000), ("SSA-1099", 1_200_000), ("1099-R", 600_000),
           ("1099-NEC", 75_000), ("1099-INT", 1_999)]
W_AND_I_AMOUNTS = {"wages": 3_120_055, "unemployment_compensation": 450_000, "social_security_benefits": 1_200_000,
                   "pensions": 600_000, "business_income": 75_000, "interest": 1_999}


def every_fixture():
    for style_name, base in STYLES.items():
        for style, suffix in ((base, ""), (qualified(base), "-suffixed")):
            yield f"trt-{style_name}{suffix}", fx.tax_return_transcript(PERSON, AMOUNTS, style), style, AMOUNTS, []
            yield (f"trt-per-computer-{style_name}{suffix}",
                   fx.tax_return_transcript(PERSON, AMOUNTS, style, computer={"taxable_income": 5_00}), style,
                   {**AMOUNTS, "taxable_income": 5_00}, ["per_computer_differs"])
        yield f"at-{style_name}", fx.account_transcript(PERSON, AMOUNTS, base), base, AT_AMOUNTS, []
        yield (f"at-form-line-{style_name}", fx.account_transcript(PERSON, AMOUNTS, base, period_on_form_line=True),
               base, AT_AMOUNTS, [])
        yield f"at-no-return-{style_name}", fx.account_transcript(PERSON, AMOUNTS, base, return_present=False), base, {}, []
        yield (f"roa-{style_name}", fx.record_of_account(PERSON, AMOUNTS, base), base,
               {**AMOUNTS, "adjusted_gross_income": 2_169_000}, [])
        yield f"wi-{style_name}", fx.wage_and_income(PERSON, W_AND_I, base), base, W_AND_I_AMOUNTS, []
        yield f"vnf-{style_name}", fx.nonfiling_letter(PERSON, base), base, {}, []


FIXTURES = list(every_fixture())


@pytest.mark.parametrize("name, rows, style, amounts, problems", FIXTURES, ids=[f[0] for f in FIXTURES])
def test_every_fixture_reads_right_and_quotes_its_own_lines(name, rows, style, amounts, problems):
    result, lines = read(rows, style)
    assert result["status"] == "parsed", result["problems"]
    assert codes(result) == problems
    assert result["tax_year"] == 2023
    assert result["amounts_cents"] == amounts
    for field, evidence in result["evidence"].items():
        for where in [evidence] + evidence.get("more", []):
            assert set(quoted(where)) <= lines, (field, where)


def test_a_text_label_keeps_its_value_whole():
    style = fx.Style("legacy")
    rows = [r if not (isinstance(r, tuple) and r[0] == "SSN") else "SSN: XXX-XX-4321 SPOUSE SSN: XXX-XX-8765"
            for r in fx.tax_return_transcript(PERSON, AMOUNTS, style)]
    rows = [r for r in rows if not (isinstance(r, tuple) and r[0] == "SSN Provided")]
    result, _lines = read(rows, style)
    assert result["status"] == "parsed" and result["ssn_last4"] == "4321"
