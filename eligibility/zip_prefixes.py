"""Which state, district or territory a ZIP code belongs to: data, no code.

Source: the USPS's allocation of three-digit ZIP code prefixes (Domestic Mail Manual, Labeling
List L002, "3-Digit ZIP Code Prefix Matrix"), which gives each prefix its state; and, where one
prefix serves several places, the five-digit ZIP codes the USPS gives them (967: Hawaii and
American Samoa 96799; 969: Guam, Palau, Micronesia, the Northern Mariana Islands and the Marshall
Islands). Ranges are inclusive; a few prefixes inside a range are not in use (213, 269, 343, 987
...), which changes nothing, since no address has them. The military "states" AA, AE and AP are
the USPS's codes for APO/FPO/DPO mail.
"""
from __future__ import annotations

from typing import Mapping

Ranges = tuple[tuple[int, int], ...]

# State (USPS code) -> the three-digit prefixes of its ZIP codes.
STATE_ZIP_PREFIXES: Mapping[str, Ranges] = {
    # The 50 states
    "AL": ((350, 369),),
    "AK": ((995, 999),),
    "AZ": ((850, 865),),
    "AR": ((716, 729),),
    "CA": ((900, 961),),
    "CO": ((800, 816),),
    "CT": ((60, 69),),
    "DE": ((197, 199),),
    "FL": ((320, 339), (341, 349)),
    "GA": ((300, 319), (398, 399)),
    "HI": ((967, 968),),
    "ID": ((832, 838),),
    "IL": ((600, 629),),
    "IN": ((460, 479),),
    "IA": ((500, 528),),
    "KS": ((660, 679),),
    "KY": ((400, 427),),
    "LA": ((700, 714),),
    "ME": ((39, 49),),
    "MD": ((206, 219),),
    "MA": ((10, 27), (55, 55)),
    "MI": ((480, 499),),
    "MN": ((550, 567),),
    "MS": ((386, 397),),
    "MO": ((630, 658),),
    "MT": ((590, 599),),
    "NE": ((680, 693),),
    "NV": ((889, 898),),
    "NH": ((30, 38),),
    "NJ": ((70, 89),),
    "NM": ((870, 884),),
    "NY": ((5, 5), (100, 149)),
    "NC": ((270, 289),),
    "ND": ((580, 588),),
    "OH": ((430, 459),),
    "OK": ((730, 731), (734, 749)),
    "OR": ((970, 979),),
    "PA": ((150, 196),),
    "RI": ((28, 29),),
    "SC": ((290, 299),),
    "SD": ((570, 577),),
    "TN": ((370, 385),),
    "TX": ((733, 733), (750, 799), (885, 885)),
    "UT": ((840, 847),),
    "VT": ((50, 54), (56, 59)),
    "VA": ((201, 201), (220, 246)),
    "WA": ((980, 994),),
    "WV": ((247, 268),),
    "WI": ((530, 549),),
    "WY": ((820, 831),),
    # The District of Columbia
    "DC": ((200, 200), (202, 205), (569, 569)),
    # Territories and freely associated states served by the USPS
    "PR": ((6, 7), (9, 9)),
    "VI": ((8, 8),),
    "AS": ((967, 967),),
    "GU": ((969, 969),),
    "MP": ((969, 969),),
    "FM": ((969, 969),),
    "MH": ((969, 969),),
    "PW": ((969, 969),),
    # Military mail (APO/FPO/DPO): the Americas, Europe and elsewhere, the Pacific
    "AA": ((340, 340),),
    "AE": ((90, 98),),
    "AP": ((962, 966),),
}

# Prefixes shared by several places: for each, the five-digit ZIP codes of each place.
SHARED_PREFIX_ZIPS: Mapping[int, Mapping[str, Ranges]] = {
    967: {"HI": ((96701, 96798),), "AS": ((96799, 96799),)},
    969: {"GU": ((96910, 96932),), "PW": ((96939, 96940),), "FM": ((96941, 96944),),
          "MP": ((96950, 96952),), "MH": ((96960, 96960), (96970, 96970))},
}
