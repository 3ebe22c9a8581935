"""Every transcript type and layout, read from generated PDFs with pdfplumber."""
from __future__ import annotations

import pytest

from documents.parser import parse_bytes
from tests.documents import fixtures as fx

PERSON = fx.Taxpayer(ssn_last4="4321", name="MARIA L GARC", tracking="100098765432", year=2023,
                     filing_status="Head of Household", exemptions=3)
AMOUNTS = {"wages": 3_120_000, "interest": 1_250, "business_income": -1_432_000, "unemployment_compensation": 410_000,
           "total_income": 2_099_250, "adjusted_gross_income": 2_049_250, "taxable_income": 0}
STYLES = {
    "legacy": fx.Style("legacy"),
    "current": fx.Style("current"),
    "current-next-line": fx.Style("current", next_line=True),
    "legacy-next-line": fx.Style("legacy", next_line=True),
    "legacy-wrapped": fx.Style("legacy", wrap=("ADJUSTED GROSS INCOME", "TOTAL INCOME PER COMPUTER")),
    "current-wrapped": fx.Style("current", wrap=("Adjusted gross income",)),
    "legacy-page-breaks": fx.Style("legacy", rows_per_page=7),
    "current-browser-print": fx.Style("current", browser_print=True, rows_per_page=9),
}


def parse(rows, style, name="transcript.pdf") -> dict:
    return parse_bytes(fx.render(rows, style), name)


def quoted(evidence: dict) -> list[str]:
    """The document lines a figure's evidence quotes, in order."""
    return [evidence["line"]] + [more["line"] for more in evidence.get("continued", [])]


@pytest.mark.parametrize("style_name", list(STYLES))
def test_a_tax_return_transcript_is_read_figure_by_figure(style_name):
    style = STYLES[style_name]
    result = parse(fx.tax_return_transcript(PERSON, AMOUNTS, style), style)
    assert result["status"] == "parsed", result["problems"]
    assert result["document_type"] == "tax_return_transcript"
    assert result["layout"] == style.layout
    assert (result["tax_year"], result["ssn_last4"], result["tracking_number"]) == (2023, "4321", "100098765432")
    assert result["name_control"] == "GARC"
    assert result["filing_status"] == "head_of_household" and result["exemptions"] == 3
    assert result["return_filed"] is True
    assert result["amounts_cents"] == AMOUNTS
    assert result["problems"] == []
    evidence = result["evidence"]["adjusted_gross_income"]
    assert "20,492.50" in " ".join(quoted(evidence)) and evidence["page"] >= 1
    assert "-$14,320.00" in " ".join(quoted(result["evidence"]["business_income"]))


def test_page_breaks_put_figures_on_later_pages():
    result = parse(fx.tax_return_transcript(PERSON, AMOUNTS, STYLES["legacy-page-breaks"]), STYLES["legacy-page-breaks"])
    assert result["evidence"]["taxable_income"]["page"] >= 3 and result["amounts_cents"]["taxable_income"] == 0


def test_the_irs_figure_wins_and_the_difference_is_flagged():
    style = fx.Style("legacy")
    result = parse(fx.tax_return_transcript(PERSON, AMOUNTS, style, computer={"adjusted_gross_income": 2_100_000}),
                   style)
    assert result["amounts_cents"]["adjusted_gross_income"] == 2_100_000
    assert "PER COMPUTER" in result["evidence"]["adjusted_gross_income"]["line"]
    assert [p["code"] for p in result["problems"]] == ["per_computer_differs"]
    assert "$20,492.50" in result["problems"][0]["message"] and "$21,000.00" in result["problems"][0]["message"]


@pytest.mark.parametrize("layout", ["legacy", "current"])
def test_an_account_transcript_gives_agi_and_taxable_income(layout):
    style = fx.Style(layout)
    result = parse(fx.account_transcript(PERSON, AMOUNTS, style), style)
    assert result["status"] == "parsed" and result["document_type"] == "account_transcript"
    assert result["amounts_cents"] == {"adjusted_gross_income": 2_049_250, "taxable_income": 0}
    assert result["return_filed"] is True and result["exemptions"] == 3


def test_an_account_transcript_without_a_return_says_so():
    style = fx.Style("legacy")
    result = parse(fx.account_transcript(PERSON, AMOUNTS, style, return_present=False), style)
    assert result["status"] == "parsed" and result["return_filed"] is False and result["amounts_cents"] == {}


@pytest.mark.parametrize("layout", ["legacy", "current"])
def test_a_record_of_account_holds_both(layout):
    style = fx.Style(layout, rows_per_page=20)
    result = parse(fx.record_of_account(PERSON, AMOUNTS, style), style)
    assert result["status"] == "parsed" and result["document_type"] == "record_of_account"
    assert result["amounts_cents"]["adjusted_gross_income"] == 2_049_250
    assert result["amounts_cents"]["wages"] == 3_120_000


@pytest.mark.parametrize("style", [fx.Style("legacy", rows_per_page=12), fx.Style("current", next_line=True, rows_per_page=10)],
                         ids=["legacy", "current-next-line"])
def test_wage_and_income_adds_up_each_kind_of_form(style):
    forms = [(fx.W2, 2_000_000), (fx.W2, 1_120_055), ("1099-G", 450_000), ("1099-G", 50_000), ("SSA-1099", 1_200_000),
             ("1099-R", 600_000), ("1099-NEC", 75_000), ("1099-INT", 1_999)]
    result = parse(fx.wage_and_income(PERSON, forms, style), style)
    assert result["status"] == "parsed" and result["document_type"] == "wage_and_income_transcript"
    assert result["tax_year"] == 2023 and result["return_filed"] is None
    assert result["amounts_cents"] == {"wages": 3_120_055, "unemployment_compensation": 500_000,
                                       "social_security_benefits": 1_200_000, "pensions": 600_000,
                                       "business_income": 75_000, "interest": 1_999}
    assert result["forms"] == {"W-2": 2, "1099-G": 2, "SSA-1099": 1, "1099-R": 1, "1099-NEC": 1, "1099-INT": 1}
    assert len(result["evidence"]["wages"]["more"]) == 1


@pytest.mark.parametrize("layout", ["legacy", "current"])
def test_a_verification_of_nonfiling_says_no_return(layout):
    style = fx.Style(layout)
    result = parse(fx.nonfiling_letter(PERSON, style), style)
    assert result["status"] == "parsed" and result["document_type"] == "verification_of_nonfiling"
    assert result["return_filed"] is False and result["tax_year"] == 2023 and result["amounts_cents"] == {}


def test_a_pay_stub_goes_to_a_person_with_no_figures():
    result = parse(fx.pay_stub(), fx.Style("current"), "stub.pdf")
    assert result["status"] == "needs_review" and result["document_type"] == "unknown"
    assert result["amounts_cents"] == {} and result["problems"][0]["code"] == "not_a_transcript"


def test_an_unmasked_ssn_is_flagged_and_never_kept():
    style = fx.Style("legacy")
    person = fx.Taxpayer(extra_rows=[("SPOUSE SSN", "123-45-6789")])
    rows = [r if not (isinstance(r, tuple) and r[0] == "SSN") else ("SSN", "987-65-4321")
            for r in fx.tax_return_transcript(person, AMOUNTS, style)]
    result = parse(rows, style)
    assert "unmasked_ssn" in [p["code"] for p in result["problems"]]
    text = str(result)
    assert "987-65" not in text and "123-45" not in text


def test_two_copies_of_one_transcript_are_read_once():
    style = fx.Style("legacy")
    rows = fx.tax_return_transcript(PERSON, AMOUNTS, style)
    result = parse(rows + rows, style)
    assert result["status"] == "parsed" and result["amounts_cents"] == AMOUNTS
    assert "duplicate_copy" in [p["code"] for p in result["problems"]]


def test_several_years_in_one_file_go_to_a_person_without_figures():
    style = fx.Style("legacy")
    other = fx.Taxpayer(year=2022, tracking="100011112222")
    result = parse(fx.tax_return_transcript(PERSON, AMOUNTS, style) + fx.tax_return_transcript(other, AMOUNTS, style),
                   style)
    assert result["status"] == "needs_review" and result["amounts_cents"] == {}
    assert {"several_tax_years", "several_transcripts"} <= {p["code"] for p in result["problems"]}


def test_amounts_the_document_does_not_have_are_left_out():
    style = fx.Style("current")
    result = parse(fx.tax_return_transcript(PERSON, {"adjusted_gross_income": 1_000_000}, style), style)
    assert result["amounts_cents"] == {"adjusted_gross_income": 1_000_000}
