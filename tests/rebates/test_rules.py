"""The rebate calculation from published rules: every amount kind, cap, limit and window.

Pure: no Flask, no database. Each case is a measure as a utility writes it, an item, and what the
customer would get.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from rebates import explain, rules
from rebates.rules import Item, Past, Request

D = date.fromisoformat


def measure(code="TOILET", **extra) -> dict:
    data = {"code": code, "name": {"en": code.title(), "es": code.title()}, "unit": "each",
            "amount": {"kind": "per_unit", "amount": "100.00"}}
    data.update(extra)
    return data


def program(*measures, versions=None, fy="07-01", products=None) -> rules.Program:
    if versions is None:
        versions = [("2024-01-01", None, list(measures) or [measure()])]
    month, day = (int(x) for x in fy.split("-"))
    built = tuple(rules.build_version("WATER", n, D(f), D(t) if t else None, ms, label=f"v{n}")
                  for n, (f, t, ms) in enumerate(versions, start=1))
    return rules.Program.of("WATER", built, (month, day))


def item(measure="TOILET", quantity=1, purchased="2026-03-01", price="500.00", **extra) -> Item:
    money = {k: extra.pop(k) for k in ("tax", "labor", "delivery", "discounts") if k in extra}
    attributes = {k: Decimal(v) for k, v in extra.pop("attributes", {}).items()}
    return Item(measure=measure, quantity=quantity, purchased_on=D(purchased),
                installed_on=D(extra.pop("installed")) if "installed" in extra else None,
                model=extra.pop("model", None), price_cents=cents(price),
                tax_cents=cents(money.get("tax", "0")), labor_cents=cents(money.get("labor", "0")),
                delivery_cents=cents(money.get("delivery", "0")), discounts_cents=cents(money.get("discounts", "0")),
                attributes=attributes)


def cents(text: str) -> int:
    return int(Decimal(text) * 100)


def request(*items, applied="2026-03-15", history=(), enrolled=(), reserved=None, premise="1 MAIN ST 94501",
            account="100", customer="7") -> Request:
    return Request(program="WATER", applied_on=D(applied), items=tuple(items), premise=premise, account=account,
                   customer=customer, enrolled_in=frozenset(enrolled),
                   reserved_cents=cents(reserved) if reserved else None, history=tuple(history))


def past(measure="TOILET", quantity=1, amount="100.00", on="2025-01-01", premise="1 MAIN ST 94501", account="100",
         customer="7") -> Past:
    return Past(measure, quantity, cents(amount), D(on), premise, account, customer)


def one(prog, req, products=None):
    result = rules.quote(prog, req, products).items[0]
    return result.amount_cents, result.reasons


# --- every amount kind ------------------------------------------------------------------------

AMOUNT_CASES = [
    # per unit: SoCal Water$mart toilet $40 each, 2 of them
    ("per_unit", {"kind": "per_unit", "amount": "40.00"}, dict(quantity=2), 8000),
    # per ordinal: first toilet $100, second $75, then $50 each
    ("per_ordinal", {"kind": "per_ordinal", "amounts": ["100.00", "75.00", "50.00"]}, dict(quantity=4), 27500),
    # banded turf: first 50,000 sq ft at $5, the rest at $3 (here 1,000 at $3 and 2,000 at $1 above)
    ("banded", {"kind": "banded", "bands": [{"up_to": "1000", "rate": "3.00"}, {"up_to": None, "rate": "1.00"}]},
     dict(quantity=3000, price="99999.00"), 500000),
    # by attribute: SFPUC $200 for 0.8 gpf, $100 up to 1.1
    ("by_attribute_low", {"kind": "by_attribute", "attribute": "gpf",
                          "bands": [{"max": "0.8", "amount": "200.00"}, {"max": "1.1", "amount": "100.00"}]},
     dict(attributes={"gpf": "0.8"}), 20000),
    ("by_attribute_high", {"kind": "by_attribute", "attribute": "gpf",
                           "bands": [{"max": "0.8", "amount": "200.00"}, {"max": "1.1", "amount": "100.00"}]},
     dict(attributes={"gpf": "1.1"}), 10000),
    # percent of cost: a heat-pump water heater at 50% of $1,999.99
    ("percent_of_cost", {"kind": "percent_of_cost", "percent": "50"}, dict(price="1999.99"), 100000),
]


@pytest.mark.parametrize("name,amount,given_item,expected", AMOUNT_CASES, ids=[c[0] for c in AMOUNT_CASES])
def test_every_amount_kind(name, amount, given_item, expected):
    prog = program(measure(amount=amount))
    assert one(prog, request(item(**given_item))) == (expected, ())


def test_by_attribute_with_no_band_holding_is_a_condition_not_met():
    prog = program(measure(amount={"kind": "by_attribute", "attribute": "gpf", "bands": [{"max": "1.1", "amount": "100.00"}]}))
    assert one(prog, request(item(attributes={"gpf": "1.28"}))) == (0, ("condition_not_met",))
    assert one(prog, request(item())) == (0, ("condition_not_met",))


def test_by_attribute_bands_with_a_minimum_for_cisterns():
    bands = [{"min": "200", "max": "499", "amount": "250.00"}, {"min": "500", "max": "999", "amount": "300.00"},
             {"min": "1000", "amount": "350.00"}]
    prog = program(measure("CISTERN", amount={"kind": "by_attribute", "attribute": "capacity_gallons", "bands": bands}))
    for gallons, expected in (("199", 0), ("200", 25000), ("499", 25000), ("500", 30000), ("5000", 35000)):
        assert one(prog, request(item("CISTERN", attributes={"capacity_gallons": gallons})))[0] == expected


def test_per_ordinal_counts_the_units_already_at_the_home():
    prog = program(measure(amount={"kind": "per_ordinal", "amounts": ["100.00", "75.00", "50.00"]}))
    history = [past(quantity=1, amount="100.00", account="OTHER", customer="OTHER")]  # a former owner
    assert one(prog, request(item(quantity=2), history=history)) == (12500, ())


# --- every cap --------------------------------------------------------------------------------

CAP_CASES = [
    # never more than the price paid, before tax: the issue's own example
    ("cap_at_cost", dict(cap_at_cost=True), dict(quantity=2, price="89.00", tax="8.00"), 8900),
    # tax counted where the cost basis says so
    ("cap_with_tax", dict(cap_at_cost=True, cost_basis={"tax": True}), dict(quantity=2, price="89.00", tax="8.00"), 9700),
    ("cap_with_labor_delivery", dict(cap_at_cost=True, cost_basis={"labor": True, "delivery": True}),
     dict(price="50.00", labor="20.00", delivery="10.00", tax="5.00"), 8000),
    # gift cards and instant rebates come off
    ("cap_less_discounts", dict(cap_at_cost=True), dict(price="120.00", discounts="50.00"), 7000),
    ("cost_never_below_zero", dict(cap_at_cost=True), dict(price="20.00", discounts="50.00"), 0),
    ("percent_of_cost_cap", dict(percent_of_cost_cap="50"), dict(price="150.00"), 7500),
    ("max_amount", dict(amount={"kind": "per_unit", "amount": "3.00"}, max_amount="2000.00"),
     dict(quantity=1000, price="9999.00"), 200000),
    ("not_capped_without_cap", dict(), dict(price="50.00"), 10000),
]


@pytest.mark.parametrize("name,rule,given_item,expected", CAP_CASES, ids=[c[0] for c in CAP_CASES])
def test_every_cap(name, rule, given_item, expected):
    assert one(program(measure(**rule)), request(item(**given_item)))[0] == expected


def test_cost_for_counted_quantity_only():
    """3 bought, 2 counted: the cap is two thirds of the line."""
    prog = program(measure(cap_at_cost=True, quantity={"max": 2}))
    result = rules.quote(prog, request(item(quantity=3, price="150.00"))).items[0]
    assert (result.counted_quantity, result.eligible_cost_cents, result.amount_cents) == (2, 10000, 10000)


# --- quantity ---------------------------------------------------------------------------------

@pytest.mark.parametrize("quantity,expected", [(9, (0, ("below_minimum_quantity",))), (10, (2500, ())),
                                               (30, (7500, ())), (31, (7500, ()))])
def test_rotating_nozzles_minimum_and_maximum(quantity, expected):
    prog = program(measure("NOZZLE", amount={"kind": "per_unit", "amount": "2.50"}, quantity={"min": 10, "max": 30}))
    assert one(prog, request(item("NOZZLE", quantity=quantity, price="1000.00"))) == expected


# --- limits: every scope and window -----------------------------------------------------------

def toilet_limit(**limit):
    return program(measure(limits=[{"scope": "premise", "max_units": 2, **limit}]))


@pytest.mark.parametrize("scope,other", [("premise", dict(premise="9 ELM ST 94501")),
                                         ("account", dict(account="999")), ("customer", dict(customer="99"))])
def test_each_scope_counts_only_its_own_history(scope, other):
    prog = program(measure(limits=[{"scope": scope, "max_units": 2}]))
    mine = [past(quantity=2)]
    assert one(prog, request(item(), history=mine)) == (0, ("limit_reached",))
    theirs = [past(quantity=2, **other)]
    assert one(prog, request(item(), history=theirs)) == (10000, ())


def test_the_home_limit_follows_the_premise_across_owners():
    prog = toilet_limit()
    former_owner = [past(quantity=2, account="OLD", customer="OLD")]
    assert one(prog, request(item(), history=former_owner)) == (0, ("limit_reached",))


def test_lifetime_limit_counts_history_of_any_age():
    assert one(toilet_limit(), request(item(), history=[past(quantity=2, on="1999-05-01")])) == (0, ("limit_reached",))


@pytest.mark.parametrize("history_on,expected", [
    ("2016-03-01", (10000, ())),                    # exactly ten years before: outside the window
    ("2016-03-02", (0, ("limit_reached",))),        # the last day inside the window
])
def test_rolling_window_edges(history_on, expected):
    """Denver Water: 2 toilets per residence in 10 years."""
    prog = toilet_limit(years=10)
    assert one(prog, request(item(purchased="2026-03-01"), history=[past(quantity=2, on=history_on)])) == expected


@pytest.mark.parametrize("history_on,expected", [
    ("2025-06-30", (10000, ())),                    # the last day of the earlier fiscal year
    ("2025-07-01", (0, ("limit_reached",))),        # the first day of this one
])
def test_fiscal_year_window_edges(history_on, expected):
    prog = toilet_limit(fiscal_year=True)
    assert one(prog, request(item(purchased="2026-06-30"), history=[past(quantity=2, on=history_on)])) == expected


def test_fiscal_year_naming():
    assert rules.fiscal_year(D("2026-06-30"), (7, 1)) == 2026
    assert rules.fiscal_year(D("2026-07-01"), (7, 1)) == 2027
    assert rules.fiscal_year(D("2026-07-01"), (1, 1)) == 2026


def test_a_limit_over_several_measures():
    prog = program(measure("TOILET", limits=[{"scope": "premise", "max_units": 2, "measures": ["TOILET", "DIRECT_TOILET"]}]),
                   measure("DIRECT_TOILET"))
    assert one(prog, request(item(), history=[past("DIRECT_TOILET", quantity=2)])) == (0, ("limit_reached",))
    assert one(prog, request(item(), history=[past("WASHER", quantity=2)])) == (10000, ())


def test_partial_unit_limit_counts_what_remains():
    result = rules.quote(toilet_limit(), request(item(quantity=3), history=[past(quantity=1)])).items[0]
    assert (result.counted_quantity, result.amount_cents, result.reasons) == (1, 10000, ())


def test_amount_limit_pays_what_remains_then_nothing():
    prog = program(measure("TURF", unit="sq_ft", amount={"kind": "per_unit", "amount": "3.00"},
                           limits=[{"scope": "account", "max_amount": "5000.00", "fiscal_year": True}]))
    assert one(prog, request(item("TURF", quantity=1000, price="99999.00"), history=[past("TURF", amount="3000.00", on="2025-09-01")])) \
        == (200000, ())
    assert one(prog, request(item("TURF", quantity=1000, price="99999.00"), history=[past("TURF", amount="5000.00", on="2025-09-01")])) \
        == (0, ("limit_reached",))


def test_an_item_exhausts_a_limit_for_the_next_item_of_the_same_request():
    prog = toilet_limit()
    quote = rules.quote(prog, request(item(quantity=2), item(quantity=1)))
    assert [(i.amount_cents, i.reasons) for i in quote.items] == [(20000, ()), (0, ("limit_reached",))]
    assert quote.amount_cents == 20000


def test_same_request_counts_even_without_a_premise():
    quote = rules.quote(toilet_limit(), request(item(quantity=2), item(), premise=None))
    assert [i.amount_cents for i in quote.items] == [20000, 0]


# --- application window -----------------------------------------------------------------------

@pytest.mark.parametrize("applied,expected", [("2026-05-30", (10000, ())), ("2026-05-31", (0, ("late_application",)))])
def test_apply_within_days_last_day_and_the_day_after(applied, expected):
    prog = program(measure(apply_within_days=90))
    assert one(prog, request(item(purchased="2026-03-01"), applied=applied)) == expected


@pytest.mark.parametrize("applied,expected", [("2026-06-30", (10000, ())), ("2026-07-01", (0, ("late_application",)))])
def test_apply_by(applied, expected):
    assert one(program(measure(apply_by="2026-06-30")), request(item(), applied=applied)) == expected


# --- versions and promotions ------------------------------------------------------------------

def promotion():
    regular = measure(amount={"kind": "per_unit", "amount": "100.00"})
    promo = measure(amount={"kind": "per_unit", "amount": "150.00"})
    return program(versions=[("2024-01-01", "2026-03-31", [regular]), ("2026-04-01", "2026-04-30", [promo]),
                             ("2026-05-01", None, [regular])])


@pytest.mark.parametrize("purchased,expected,version", [
    ("2026-03-31", 10000, "WATER.v1"), ("2026-04-01", 15000, "WATER.v2"), ("2026-04-30", 15000, "WATER.v2"),
    ("2026-05-01", 10000, "WATER.v3")])
def test_promotion_edges(purchased, expected, version):
    result = rules.quote(promotion(), request(item(purchased=purchased), applied="2026-05-15")).items[0]
    assert (result.amount_cents, result.rule_version) == (expected, version)


def test_no_rule_in_effect_before_the_first_version_or_for_an_unknown_measure():
    assert one(program(), request(item(purchased="2023-12-31"))) == (0, ("no_rule_in_effect",))
    assert one(program(), request(item("PONY"))) == (0, ("no_rule_in_effect",))


def test_dated_by_installation():
    prog = program(versions=[("2026-04-01", None, [measure(dated_by="installed_on")])])
    assert one(prog, request(item(purchased="2026-03-20", installed="2026-04-02"), applied="2026-04-10")) == (10000, ())
    assert one(prog, request(item(purchased="2026-03-20", installed="2026-03-31"), applied="2026-04-10"))[1] \
        == ("no_rule_in_effect",)


# --- conditions and qualified products ---------------------------------------------------------

@pytest.mark.parametrize("replaced,expected", [("3.5", (10000, ())), ("1.6", (10000, ())),
                                               ("1.59", (0, ("condition_not_met",))), (None, (0, ("condition_not_met",)))])
def test_condition_on_the_replaced_toilet(replaced, expected):
    prog = program(measure(conditions=[{"attribute": "replaced_gpf", "min": "1.6"}]))
    attributes = {"replaced_gpf": replaced} if replaced else {}
    assert one(prog, request(item(attributes=attributes))) == expected


def products():
    v1 = {rules.normalize_model("AB-100 X"): {"gpf": Decimal("0.8")}, rules.normalize_model("CD-200"): {"gpf": Decimal("1.28")}}
    v2 = {rules.normalize_model("CD-200"): {"gpf": Decimal("1.28")}}  # AB-100 X withdrawn
    return {"WATERSENSE": rules.ProductList("WATERSENSE", ((D("2025-01-01"), v1), (D("2026-04-01"), v2)))}


def gpf_toilet():
    return program(measure(qualified_products="WATERSENSE", amount={
        "kind": "by_attribute", "attribute": "gpf", "bands": [{"max": "0.8", "amount": "200.00"},
                                                               {"max": "1.28", "amount": "100.00"}]}))


@pytest.mark.parametrize("model,purchased,expected", [
    ("ab100x", "2026-03-31", (20000, ())),                       # case, spaces and dashes ignored; the list's gpf
    ("AB-100 X", "2024-06-01", (20000, ())),                     # before the first version: the first version
    ("AB-100 X", "2026-04-01", (0, ("not_qualified_product",))),  # withdrawn from that day
    ("cd 200", "2026-04-01", (10000, ())),
    ("ZZ-1", "2026-03-01", (0, ("not_qualified_product",))),
    (None, "2026-03-01", (0, ("not_qualified_product",))),
])
def test_qualified_products(model, purchased, expected):
    req = request(item(model=model, purchased=purchased, attributes={"gpf": "0.5"}), applied="2026-04-10")
    assert one(gpf_toilet(), req, products()) == expected


# --- enhanced amount and reservation -----------------------------------------------------------

def test_enhanced_amount_for_enrolled_customers():
    prog = program(measure(enhanced={"enrolled_in": ["CARE", "EZ-SAVE"], "amount": {"kind": "per_unit", "amount": "200.00"}}))
    assert one(prog, request(item(), enrolled=["CARE"]))[0] == 20000
    assert one(prog, request(item(), enrolled=["FERA"]))[0] == 10000
    assert one(prog, request(item()))[0] == 10000


def test_reservation_caps_the_request():
    prog = program(measure("TURF", unit="sq_ft", amount={"kind": "per_unit", "amount": "3.00"}))
    quote = rules.quote(prog, request(item("TURF", quantity=1000, price="9999.00"), item("TURF", quantity=500, price="9999.00"),
                                      reserved="2750.00"))
    assert [i.amount_cents for i in quote.items] == [275000, 0]
    assert quote.amount_cents == 275000


# --- rounding ---------------------------------------------------------------------------------

@pytest.mark.parametrize("percent,price,expected", [("33", "10.05", 332),     # 3.3165 -> 3.32
                                                    ("50", "0.05", 3),        # 2.5 cents rounds half up
                                                    ("12.5", "0.20", 3)])     # 2.5 cents again
def test_rounding_half_up_once_at_the_end(percent, price, expected):
    prog = program(measure(amount={"kind": "percent_of_cost", "percent": percent}))
    assert one(prog, request(item(price=price)))[0] == expected


def test_rounding_is_once_per_item_not_per_unit():
    """Three nozzles at $0.335 are $1.005 -> $1.01, not 3 × $0.34."""
    prog = program(measure("NOZZLE", amount={"kind": "per_unit", "amount": "0.335"}))
    assert one(prog, request(item("NOZZLE", quantity=3)))[0] == 101


# --- explanation ------------------------------------------------------------------------------

def test_explanation_in_english_and_spanish():
    prog = program(measure(cap_at_cost=True))
    result = rules.quote(prog, request(item(quantity=2, price="89.00", tax="8.00"))).items[0]
    english = explain.render(result.trace, "en", "Toilet")
    assert "2 × Toilet at $100.00 each would be $200.00." in english
    assert english.endswith("You paid $89.00 before tax, so the rebate is $89.00.")
    spanish = explain.render(result.trace, "es", "Inodoro")
    assert spanish.endswith("Usted pagó $89.00 antes de impuestos, así que el reembolso es de $89.00.")
    assert "would" not in spanish


def test_a_stopped_item_is_explained_by_its_reasons_not_by_what_it_would_have_paid():
    """Walked in the browser: "...so the rebate is $189.00. This item earns no rebate." contradicted itself."""
    prog = program(measure(cap_at_cost=True, conditions=[{"attribute": "gpf", "max": "1.28"}], apply_within_days=90))
    result = rules.quote(prog, request(item(quantity=2, price="189.00", attributes={"gpf": "1.6"},
                                            purchased="2026-01-02"), applied="2026-12-01")).items[0]
    assert result.amount_cents == 0 and result.reasons
    english = explain.render(result.trace, "en", "Toilet")
    assert "so the rebate is" not in english and "would be" not in english
    assert "days after that date" in english and "at most 1.28" in english  # every reason is said
    assert english.endswith("This item earns no rebate.")
    spanish = explain.render(result.trace, "es", "Inodoro")
    assert "así que el reembolso es" not in spanish


def test_a_missing_model_number_is_asked_for_not_quoted_blank():
    prog = program(measure(qualified_products="WATERSENSE"))
    result = rules.quote(prog, request(item()), products()).items[0]
    english = explain.render(result.trace, "en", "Toilet")
    assert "needs the model number" in english and "Model  is" not in english


def test_every_sentence_has_wording():
    """Each trace code renders in both languages (a missing one raises)."""
    cases = [promotion(), toilet_limit(years=10), gpf_toilet()]
    for prog in cases:
        for lang in ("en", "es"):
            quote = rules.quote(prog, request(item(quantity=3, model="x"), item(purchased="2000-01-01"),
                                              history=[past(quantity=1)], applied="2026-12-01"), products())
            for result in quote.items:
                assert explain.render(result.trace, lang, "Toilet")


# --- properties -------------------------------------------------------------------------------

money = st.integers(min_value=0, max_value=2_000_000)
amount_rules = st.sampled_from([
    {"kind": "per_unit", "amount": "100.00"}, {"kind": "per_unit", "amount": "2.555"},
    {"kind": "per_ordinal", "amounts": ["100.00", "75.00", "50.00"]},
    {"kind": "banded", "bands": [{"up_to": "50", "rate": "5.00"}, {"up_to": None, "rate": "3.00"}]},
    {"kind": "percent_of_cost", "percent": "150"},
])
limits = st.sampled_from([[], [{"scope": "premise", "max_units": 3}], [{"scope": "account", "max_amount": "250.00", "years": 2}],
                          [{"scope": "customer", "max_units": 5, "fiscal_year": True}, {"scope": "premise", "max_amount": "400.00"}]])
pasts = st.lists(st.builds(lambda q, a, d, p: Past("TOILET", q, a, date(2024, 1, 1) + (date(2026, 1, 1) - date(2024, 1, 1)) * 0
                                                   + __import__("datetime").timedelta(days=d),
                                                   "1 MAIN ST 94501" if p else "ELSEWHERE", "100", "7"),
                           st.integers(1, 4), st.integers(0, 50_000), st.integers(0, 900), st.booleans()), max_size=4)


def _item(q, price, tax, discounts):
    return Item("TOILET", q, D("2026-03-01"), price_cents=price, tax_cents=tax, discounts_cents=discounts)


@given(amount_rules, limits, st.integers(1, 120), money, money, money, pasts, st.booleans())
def test_never_over_the_eligible_cost_when_capped_and_never_negative(amount, lims, q, price, tax, discounts, history, tax_counts):
    prog = program(measure(amount=amount, limits=lims, cap_at_cost=True, cost_basis={"tax": tax_counts}))
    result = rules.quote(prog, request(_item(q, price, tax, discounts), history=history)).items[0]
    assert 0 <= result.amount_cents <= result.eligible_cost_cents
    assert result.eligible_cost_cents <= max(0, price + (tax if tax_counts else 0) - discounts)


@given(amount_rules, limits, st.integers(1, 120), money, pasts, pasts)
def test_adding_history_never_raises_an_amount(amount, lims, q, price, history, more):
    prog = program(measure(amount=amount, limits=lims))
    before = rules.quote(prog, request(_item(q, price, 0, 0), history=history)).amount_cents
    after = rules.quote(prog, request(_item(q, price, 0, 0), history=history + more)).amount_cents
    assert 0 <= after <= before


def test_an_open_version_ends_where_the_next_begins():
    prog = program(versions=[("2024-01-01", None, [measure()]),
                             ("2026-07-01", None, [measure(amount={"kind": "per_unit", "amount": "75.00"})])])
    assert one(prog, request(item(purchased="2026-06-30"), applied="2026-07-15"))[0] == 10000
    assert one(prog, request(item(purchased="2026-07-01"), applied="2026-07-15"))[0] == 7500


def test_overlaps():
    d = D
    assert rules.overlaps([(d("2024-01-01"), None), (d("2026-01-01"), None)]) == []
    assert rules.overlaps([(d("2024-01-01"), d("2026-01-01")), (d("2026-01-01"), None)]) == [1]
    assert rules.overlaps([(d("2024-01-01"), d("2025-12-31")), (d("2026-01-01"), None)]) == []
    assert rules.overlaps([(d("2026-01-01"), None), (d("2026-01-01"), d("2026-02-01"))]) == [1]
    assert rules.overlaps([(d("2026-03-01"), d("2026-04-01")), (d("2026-01-01"), d("2026-03-01"))]) == [1]
