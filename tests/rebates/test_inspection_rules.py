"""Which inspections a project needs and why, and `rebates load` refusing bad reservation keys."""
from __future__ import annotations

import random
from decimal import Decimal

import pytest

from rebates import definitions
from rebates.inspection_rules import Required, required_inspections
from tests.rebates.helpers import changed, small_program, write

TURF = {"pre_inspection": "always", "post_inspection": {"amount_at_least": "2500.00"}}


def test_always_asks_and_never_does_not():
    assert required_inspections({"pre_inspection": "always", "post_inspection": "never"}, 1, "10.00") == \
        [Required("pre", "always")]


def test_amount_rule_triggers_at_the_amount_inclusive_and_not_a_cent_below():
    assert Required("post", "amount_at_least 2500.00") in required_inspections(TURF, 1, Decimal("2500.00"))
    assert [r.kind for r in required_inspections(TURF, 1, Decimal("2499.99"))] == ["pre"]


def test_quantity_rule_triggers_at_five_toilets_not_four():
    rule = {"post_inspection": {"quantity_at_least": 5}}
    assert required_inspections(rule, 5, "500.00") == [Required("post", "quantity_at_least 5")]
    assert required_inspections(rule, 4, "400.00") == []


def test_the_quality_draw_is_seeded_and_takes_about_its_share():
    measure = {"quality_share": "10"}
    picks = [bool(required_inspections(measure, 1, "100.00", random.Random(seed))) for seed in range(2000)]
    assert 150 < sum(picks) < 250
    first = required_inspections(measure, 1, "100.00", random.Random(picks.index(True)))
    assert first == [Required("quality", "random 10%")]
    assert required_inspections({"quality_share": "0"}, 1, "100.00", random.Random(1)) == []
    assert required_inspections({"quality_share": "100"}, 1, "1.00", random.Random(1))[0].kind == "quality"


def test_no_quality_draw_when_a_post_inspection_is_due():
    assert required_inspections({"post_inspection": "always", "quality_share": "100"}, 1, "1.00") == \
        [Required("post", "always")]


def _turf(**keys):
    def edit(document):
        document["programs"][0]["versions"][0]["measures"][0].update(keys)
    return changed(small_program(), edit)


WHERE = "programs[0].versions[0].measures[0]"


def test_reservation_keys_are_taken_and_normalized():
    parsed = definitions.parse(_turf(requires_reservation=True, reservation_days=180,
                                     extensions={"max": 1, "days": 90}, photos={"before": 2},
                                     pre_inspection="always", post_inspection={"amount_at_least": "2500"},
                                     quality_share="5.0"))
    measure = parsed["programs"][0]["versions"][0]["measures"][0]
    assert measure["reservation_days"] == 180 and measure["extensions"] == {"max": 1, "days": 90}
    assert measure["photos"] == {"before": 2, "after": 0}
    assert measure["post_inspection"] == {"amount_at_least": "2500.00"} and measure["quality_share"] == "5"
    assert "requires_reservation" not in definitions.parse(small_program())["programs"][0]["versions"][0]["measures"][0]


@pytest.mark.parametrize("keys, problem", [
    ({"requires_reservation": "yes", "reservation_days": 1}, f'{WHERE}.requires_reservation: "yes" is not true or false'),
    ({"requires_reservation": True}, f"{WHERE}.reservation_days: missing"),
    ({"requires_reservation": True, "reservation_days": 0}, f"{WHERE}.reservation_days: 0 is not a whole number"),
    ({"reservation_days": 90}, f"{WHERE}.reservation_days: only for a measure with requires_reservation true"),
    ({"requires_reservation": True, "reservation_days": 9, "extensions": {"max": 1}}, f"{WHERE}.extensions.days: missing"),
    ({"photos": {"before": -1}}, f"{WHERE}.photos.before: -1 is not a whole number"),
    ({"photos": {"during": 1}}, f"{WHERE}.photos.during: unknown field"),
    ({"pre_inspection": "sometimes"}, f'{WHERE}.pre_inspection: unknown rule "sometimes"; use always, never'),
    ({"post_inspection": {"quantity_at_least": 0}}, f"{WHERE}.post_inspection.quantity_at_least: 0 is not"),
    ({"post_inspection": {"amount_at_least": 2500}}, f"{WHERE}.post_inspection.amount_at_least: 2500 is not dollars"),
    ({"post_inspection": {"area_at_least": 5}}, f"{WHERE}.post_inspection: give \"always\""),
    ({"quality_share": "150"}, f'{WHERE}.quality_share: "150" is over 100 percent'),
    ({"quality_share": 10}, f"{WHERE}.quality_share: 10 is not a decimal"),
])
def test_bad_reservation_keys_are_refused_by_place(app, tmp_path, keys, problem):
    with pytest.raises(definitions.DefinitionError) as caught:
        definitions.parse(_turf(**keys))
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems
    result = app.test_cli_runner().invoke(args=["rebates", "load", write(tmp_path, _turf(**keys))])
    assert result.exit_code != 0 and problem.split(":")[0] in result.output
