"""Whole-state service areas know every state, the District and the territories (USPS ZIP prefixes)."""
from __future__ import annotations

import pytest

from eligibility.rules import ServiceArea, zip_in_state
from eligibility.zip_prefixes import SHARED_PREFIX_ZIPS, STATE_ZIP_PREFIXES

STATES_AND_DC = {"AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
                 "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND",
                 "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC"}
TERRITORIES = {"PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW"}


def test_every_state_the_district_and_every_territory_has_its_prefixes():
    assert STATES_AND_DC | TERRITORIES <= set(STATE_ZIP_PREFIXES)
    assert len(STATES_AND_DC) == 51


def test_no_prefix_belongs_to_two_places_unless_its_zip_codes_are_divided():
    owners: dict[int, set[str]] = {}
    for state, ranges in STATE_ZIP_PREFIXES.items():
        for low, high in ranges:
            assert 0 <= low <= high <= 999, (state, low, high)
            for prefix in range(low, high + 1):
                owners.setdefault(prefix, set()).add(state)
    shared = {prefix: states for prefix, states in owners.items() if len(states) > 1}
    assert shared.keys() == SHARED_PREFIX_ZIPS.keys()
    for prefix, states in shared.items():
        assert set(SHARED_PREFIX_ZIPS[prefix]) == states
        for ranges in SHARED_PREFIX_ZIPS[prefix].values():
            assert all(low // 100 == high // 100 == prefix for low, high in ranges)


@pytest.mark.parametrize("zip_code, state", [
    ("99501", "AK"), ("99950", "AK"),                      # Anchorage; Ketchikan, the last prefix
    ("00501", "NY"), ("10001", "NY"), ("14925", "NY"),     # Holtsville (IRS), Manhattan, the edge of 149
    ("00601", "PR"), ("00901", "PR"), ("00802", "VI"),     # Adjuntas, San Juan, St. Thomas
    ("01001", "MA"), ("02790", "MA"), ("05501", "MA"),     # first prefix, 027, Andover (055)
    ("02860", "RI"), ("03101", "NH"), ("04101", "ME"), ("05401", "VT"), ("06103", "CT"), ("07102", "NJ"),
    ("20001", "DC"), ("20500", "DC"), ("56901", "DC"),     # the White House in 205; 569
    ("20101", "VA"), ("22201", "VA"), ("20601", "MD"), ("21201", "MD"),
    ("33101", "FL"), ("34002", "AA"), ("34101", "FL"),     # 340 is military mail, 341 Naples again
    ("39901", "GA"), ("38601", "MS"), ("73301", "TX"), ("73401", "OK"), ("88501", "TX"), ("88901", "NV"),
    ("82001", "WY"), ("83201", "ID"), ("90001", "CA"), ("96161", "CA"), ("96201", "AP"),
    ("96701", "HI"), ("96813", "HI"), ("96799", "AS"),     # Hawaii and American Samoa share 967
    ("96910", "GU"), ("96932", "GU"), ("96950", "MP"), ("96940", "PW"), ("96941", "FM"), ("96960", "MH"),
    ("96970", "MH"), ("97201", "OR"), ("98101", "WA"), ("99403", "WA"), ("09001", "AE"),
])
def test_a_zip_code_is_in_its_state(zip_code, state):
    assert zip_in_state(zip_code, state)
    others = [s for s in STATE_ZIP_PREFIXES if s != state and zip_in_state(zip_code, s)]
    assert others == [], f"{zip_code} is also in {others}"


@pytest.mark.parametrize("zip_code, state", [
    ("96201", "CA"), ("89999", "CA"), ("99501", "WA"), ("97999", "WA"),  # just past each end of CA and WA
    ("96799", "HI"), ("96701", "AS"), ("96933", "GU"), ("96939", "GU"),  # shared prefixes, other side of the line
    ("969", "GU"), ("9a501", "CA"), ("", "CA"), ("٩٠٠٠١", "CA"),          # too short, not digits, not ASCII
    ("34002", "FL"), ("20001", "VA"), ("00501", "PR"),
])
def test_a_zip_code_outside_the_state_is_not_in_it(zip_code, state):
    assert not zip_in_state(zip_code, state)


def test_a_statewide_program_in_texas_serves_el_paso_and_the_irs_zip_but_not_oklahoma():
    texas = ServiceArea.of({"states": ["TX"]})
    assert texas.serves("79901") and texas.serves("73301") and texas.serves("88510-1234")
    assert not texas.serves("73101") and not texas.serves("87101")
