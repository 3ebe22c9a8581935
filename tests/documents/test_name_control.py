"""The IRS name control against the names a household gives (issue 13, part 3): plain functions."""
from __future__ import annotations

from datetime import date

import pytest

from documents.name_control import control_of, fold, from_transcript, matches, possible_controls
from documents.parser import parse_bytes
from eligibility.assistance import rules
from tests.documents import fixtures as fx


@pytest.mark.parametrize("surname, control", [
    ("Núñez", "NUNE"),
    ("Núñez-García", "NUNE"),
    ("García", "GARC"),
    ("Smith-Jones", "SMIT"),
    ("Ah-Ho", "AH-H"),            # a hyphen within the first four stays
    ("De La Rosa", "DELA"),       # spaces dropped
    ("O'Neil", "ONEI"),           # apostrophes dropped
    ("Ng", "NG"),
    ("Çelik", "CELI"),
    ("Strauß", "STRA"),
    ("Øster", "OSTE"),
])
def test_a_surname_gives_the_irs_control(surname, control):
    assert control_of(surname) == control


def test_accents_and_enye_fold_to_plain_letters():
    assert fold("María Núñez-García") == "MARIA NUNEZ-GARCIA"
    assert fold("JOSÉ ÑÁÑEZ") == "JOSE NANEZ"


@pytest.mark.parametrize("line, control", [
    ("ZACH T WOO", "WOO"),
    ("MARI NUNE", "NUNE"),                     # masked: the first four letters of the last name
    ("MARIA NUNEZ-GARCIA", "NUNE"),            # an unmasked professional copy
    ("MARÍA NÚÑEZ", "NUNE"),
    ("JOHN A SMITH JR", "SMIT"),               # the suffix is not the name
    ("ABCD & EFG HIJK", "HIJK"),               # joint, one shared last name at the end
    ("JOHN A & MARY B SMITH", "SMIT"),
    ("JOHN SMITH & MARY JONES", "SMIT"),       # joint, the primary taxpayer's own last name
    ("", None),
])
def test_the_control_in_a_transcripts_name_line(line, control):
    assert from_transcript(line) == control


@pytest.mark.parametrize("name, expected", [
    ("María Núñez-García", {"NUNE", "GARC"}),
    ("María Núñez García", {"NUNE", "GARC"}),       # two-part surname without a hyphen
    ("Núñez-García, María", {"NUNE", "GARC"}),      # last name first
    ("John Smith Jr.", {"SMIT"}),
    ("John Smith III", {"SMIT"}),
    ("Zach T Woo", {"WOO"}),                        # a middle initial is no surname
    ("Maria de la Rosa", {"DE", "DELA", "LA", "LARO", "ROSA"}),
    ("Cher", {"CHER"}),
    ("", set()),
])
def test_the_controls_a_name_can_have(name, expected):
    assert possible_controls(name) == expected


@pytest.mark.parametrize("control, name", [
    ("NUNE", "María Núñez-García"),
    ("NUNE", "MARIA NUNEZ GARCIA"),
    ("GARC", "María Núñez-García"),     # filed under the second surname
    ("NUNE", "Maria Nunez"),
    ("SMIT", "John Smith Jr."),
    ("AH-H", "Li Ah-Ho"),
    ("DELA", "Rosa De La Cruz"),
    ("ONEI", "Sean O'Neil"),
    ("WOO", "Zach T Woo"),
    ("DIA", "Ana Diaz"),                # a four-letter name masked to three
])
def test_no_false_name_mismatch(control, name):
    assert matches(control, name)


@pytest.mark.parametrize("control, name", [
    ("LOPE", "María Núñez-García"),
    ("GARC", "Zach T Woo"),
    ("MARI", "María Núñez-García"),     # the first name is not the surname
    ("SMIT", "Ana Smythe"),
])
def test_a_different_name_does_not_match(control, name):
    assert not matches(control, name)


def household(*names: str) -> dict:
    return {"members": [{"age": 40, "name": name, "relationship": "self" if i == 0 else "spouse",
                         "incomes": [{"kind": "wages", "amount_cents": 3_600_000, "frequency": "annual"}] if i == 0
                         else []} for i, name in enumerate(names)]}


@pytest.mark.parametrize("layout", ["legacy", "current"])
@pytest.mark.parametrize("printed", ["MARI NUNE", "MARIA NUNEZ-GARCIA"])
def test_a_transcript_for_maria_nunez_garcia_matches_her_household(layout, printed):
    style = fx.Style(layout)
    person = fx.Taxpayer(name=printed, year=2025)
    result = parse_bytes(fx.render(fx.tax_return_transcript(person, {"adjusted_gross_income": 3_600_000}, style),
                                   style), "transcript.pdf")
    assert result["status"] == "parsed" and result["name_control"] == "NUNE"
    document = rules.ParsedDocument(1, "income", "parsed", result, "sha")
    notes = rules.flags(household=household("María Núñez-García", "Pedro López"), categorical=[],
                        documents=[document], submitted_on=date(2026, 11, 23))
    assert "name_mismatch" not in [n.code for n in notes]
    other = rules.flags(household=household("Ana López", "Pedro López"), categorical=[], documents=[document],
                        submitted_on=date(2026, 11, 23))
    assert "name_mismatch" in [n.code for n in other]


@pytest.mark.parametrize("layout", ["legacy", "current"])
def test_an_accented_name_on_an_unmasked_copy_gives_its_control(layout):
    style = fx.Style(layout)
    person = fx.Taxpayer(name="MARÍA NÚÑEZ-GARCÍA", year=2025)
    result = parse_bytes(fx.render(fx.tax_return_transcript(person, {"adjusted_gross_income": 3_600_000}, style),
                                   style), "transcript.pdf")
    assert result["name_control"] == "NUNE"
