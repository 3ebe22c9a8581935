"""A full SSN is flagged and redacted to XXX-XX-6789 however it is written, wherever the result keeps text."""
from __future__ import annotations

import json
import re

from hypothesis import given, settings, strategies as st

from documents.transcripts import has_unmasked_ssn, parse_pages, redact
from tests.documents import fixtures as fx

DASHES = ["-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\ufe63", "\uff0d"]
SEPARATORS = DASHES + [" ", ".", "\u00a0", " - ", " \u2013 "]
LABELS = ["SSN ", "SSN: ", "SSN#", "SSN Provided: ", "Spouse SSN ", "Social Security Number: ", "TIN ", "ssn: "]
# Surrounding text on the same line, without digits, so the SSN's own digits are the only ones.
AROUND = st.text(st.characters(blacklist_categories=("Nd", "Cs", "Cc", "Zl", "Zp")), max_size=25)


@st.composite
def written_ssn(draw) -> tuple[str, str]:
    """An SSN as a document may print it, and its last four digits."""
    area = f"{draw(st.integers(1, 899)):03d}"
    group = f"{draw(st.integers(1, 99)):02d}"
    serial = f"{draw(st.integers(1, 9999)):04d}"
    if draw(st.booleans()):
        first, second = draw(st.sampled_from(SEPARATORS)), draw(st.sampled_from(SEPARATORS))
        return f"{area}{first}{group}{second}{serial}", serial
    return f"{draw(st.sampled_from(LABELS))}{area}{group}{serial}", serial


@settings(max_examples=400, deadline=None)
@given(written_ssn(), AROUND, AROUND)
def test_every_form_of_a_full_ssn_becomes_the_one_masked_form(ssn, before, after):
    written, serial = ssn
    text = f"{before} {written} {after}"
    out = redact(text)
    assert has_unmasked_ssn(text) and not has_unmasked_ssn(out)
    assert f"XXX-XX-{serial}" in out
    assert re.sub(r"[^0-9]", "", out) == serial  # no other digit of the SSN is left


@settings(max_examples=60, deadline=None)
@given(written_ssn(), AROUND)
def test_a_transcript_with_a_full_ssn_is_flagged_and_keeps_it_nowhere(ssn, around):
    written, serial = ssn
    area_group = re.sub(r"[^0-9]", "", written)[:5]
    style = fx.Style("legacy")
    rows = fx.tax_return_transcript(fx.Taxpayer(), {"adjusted_gross_income": 2_000_000}, style)
    lines = [f"{left} {right or ''}".strip() for left, right in fx._lines(rows, style)]
    lines.insert(4, f"SPOUSE SSN: {written}")
    # The filing status reads as the SSN: a problem quotes the value, the evidence keeps the line.
    lines = [f"FILING STATUS: {around} {written}" if line.upper().startswith("FILING STATUS") else line
             for line in lines]
    result = parse_pages(["\n".join(lines)]).as_dict()
    assert "unmasked_ssn" in [p["code"] for p in result["problems"]]
    kept = json.dumps(result, ensure_ascii=False)
    # Each stretch of digits and separators, as an SSN could be written; digits of unrelated
    # fields joined together could spell a short SSN like 001-01-0001 by chance.
    stretches = [re.sub(r"[^0-9]", "", m) for m in re.findall(r"[0-9][0-9 .\-]*", kept)]
    assert not any(area_group + serial in digits for digits in stretches)
    assert f"XXX-XX-{serial}" in kept
