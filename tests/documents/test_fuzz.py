"""The text parser on generated text: it never raises, and never reports a figure it did not read."""
from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from documents.transcripts import clean_lines, parse_amount, parse_pages, redact

LABELS = ["ADJUSTED GROSS INCOME", "Adjusted gross income", "TOTAL INCOME", "TAXABLE INCOME PER COMPUTER",
          "Wages, Tips and Other Compensation", "Tax Period Ending", "Report for Tax Period Ending",
          "Tracking Number", "SSN Provided", "FILING STATUS", "Form W-2 Wage and Tax Statement",
          "Unemployment Compensation", "Tax Return Transcript", "Wage and Income Transcript", "Account Transcript"]
VALUES = st.one_of(
    st.integers(-10**9, 10**9).map(lambda c: f"{'-' if c < 0 else ''}${abs(c) // 100:,}.{abs(c) % 100:02d}"),
    st.sampled_from(["Unanswered", "Not Set", "", "0.00", "Dec. 31, 2021", "12-31-2024", "XXX-XX-1234",
                     "100012345678", "Single", "$1,2,3.00", "(5.00)", "-$", "$.50"]),
    st.text(max_size=20))
LINE = st.one_of(st.tuples(st.sampled_from(LABELS), st.sampled_from([":", ":......", ": "]), VALUES)
                 .map(lambda t: f"{t[0]}{t[1]}{t[2]}"), st.text(max_size=60), st.sampled_from(LABELS))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(LINE, max_size=40).map("\n".join), min_size=1, max_size=4))
def test_the_parser_never_raises_and_every_figure_is_in_its_evidence(pages):
    result = parse_pages(pages).as_dict()
    assert result["status"] in ("parsed", "needs_review")
    document = {(line.page, redact(line.text)) for line in clean_lines(pages)}
    for name, evidence in result["evidence"].items():
        for where in [evidence] + evidence.get("more", []):
            # quoted as the document has them, nothing added
            assert {(q["page"], q["line"]) for q in [where] + where.get("continued", [])} <= document, name
    for name, cents in result["amounts_cents"].items():
        evidence = result["evidence"][name]
        lines = [line for where in [evidence] + evidence.get("more", [])
                 for line in [where["line"]] + [c["line"] for c in where.get("continued", [])]]
        read = [parse_amount(m.group(0)) for line in lines
                for m in re.finditer(r"\(?-?\$?\(?-?\$?[\d,]*\d\.\d{2}\)?", line)]
        if "more" not in evidence:
            assert cents in read


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_amounts_parse_only_when_they_are_amounts(text):
    value = parse_amount(text)
    if value is not None:
        assert re.search(r"\d\.\d{2}", text)
