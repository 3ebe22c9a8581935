"""What the CSR learns from transcripts laid out like the IRS's own (issue 13, parts 1 and 3)."""
from __future__ import annotations

import pytest

from tests.applications.helpers import family, make_world
from tests.conftest import login
from tests.documents import fixtures as fx
from tests.factories import make_user


@pytest.fixture
def world(app, db_session, clock):
    return make_world(app, db_session, clock)


def trt(layout: str, agi_cents: int, *, computer=None, extra_rows=(), name="ZACH T WOO", next_line=False) -> bytes:
    style = fx.Style(layout, next_line=next_line)
    person = fx.Taxpayer(name=name, year=2025, extra_rows=list(extra_rows))
    return fx.render(fx.tax_return_transcript(person, {"wages": agi_cents, "adjusted_gross_income": agi_cents}, style,
                                              computer=computer), style)


def misprinted(layout: str) -> tuple[str, str]:
    return ("TOTAL PENSIONS AND ANNUITIES" if layout == "legacy" else "Total pensions and annuities", "$1,2O0.00")


@pytest.mark.parametrize("layout", ["legacy", "current"])
def test_a_transcript_in_review_far_from_the_declared_income_is_flagged(world, layout):
    application_id = world.start(household=family(income="37900.00", frequency="annual")).json["id"]
    upload = world.upload(application_id, trt(layout, 9_840_000, extra_rows=[misprinted(layout)]))
    assert upload.json["status"] == "needs_review" and upload.json["amounts_cents"]["adjusted_gross_income"] == 9_840_000
    world.submit(application_id)
    flags = {f["code"]: f for f in world.staff_view(application_id)["flags"]}
    assert {"income_mismatch", "document_unread"} <= set(flags)
    assert "$37,900.00" in flags["income_mismatch"]["message"] and "$98,400.00" in flags["income_mismatch"]["message"]


@pytest.mark.parametrize("layout", ["legacy", "current"])
def test_an_irs_correction_is_a_flag_and_its_figure_decides(world, layout):
    application_id = world.start(household=family(income="8200.00")).json["id"]  # $98,400 a year declared
    upload = world.upload(application_id, trt(layout, 3_790_000, computer={"adjusted_gross_income": 9_840_000},
                                              next_line=layout == "current"))
    assert upload.json["status"] == "parsed"
    body = world.submit(application_id).json
    assert world.flags(application_id) == ["per_computer_differs"]
    care = body["determinations"][0]
    assert care["income_basis"] == "documented" and care["income_cents"] == 9_840_000


def test_the_staff_page_names_the_correction_and_quotes_the_documents_lines(app, world, db_session):
    application_id = world.start(household=family(income="8200.00")).json["id"]
    world.upload(application_id, trt("current", 3_790_000, computer={"adjusted_gross_income": 9_840_000},
                                     next_line=True))
    world.submit(application_id)
    staff = app.test_client()
    login(staff, make_user(db_session, "csr").email)
    page = staff.get(f"/staff/applications/{application_id}").get_data(as_text=True)
    assert "IRS corrected the return" in page
    # the label's line and the value's line, each as printed: no value glued onto the label
    assert "<code>Adjusted gross income per computer:</code><br><code>$98,400.00</code>" in page


def test_maria_nunez_garcia_is_not_told_her_name_does_not_match(world):
    household = family(name="María Núñez-García")
    application_id = world.start(household=household).json["id"]
    world.upload(application_id, trt("current", 3_600_000, name="MARI NUNE"))
    world.submit(application_id, signature="María Núñez-García")
    assert "name_mismatch" not in world.flags(application_id)
