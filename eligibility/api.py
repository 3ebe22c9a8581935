"""Screening over the API: the same answer as the screener page, for scripts and partner sites."""
from __future__ import annotations

from flask import Blueprint, jsonify

from core import clock
from core.access import changes_nothing, public
from core.api import documented, load_json
from core.database import db
from core.extensions import limiter
from eligibility import explain, service
from eligibility.rules import Household, IncomeSource, Member
from eligibility.schemas import ScreenRequest, ScreenResponse
from core.language import language
from eligibility.views import next_step

bp = Blueprint("eligibility_api", __name__, url_prefix="/api/v1")


def household_from(data: dict) -> Household:
    return Household(tuple(
        Member(age=m["age"], name=m.get("name"), relationship=m.get("relationship"),
               incomes=tuple(IncomeSource(i["kind"], i["amount"], i["frequency"]) for i in m["incomes"]))
        for m in data["members"]))


@documented("/eligibility/screen", "post", summary="Could this household qualify? Every open program, nothing kept",
            tags=["eligibility"], request=ScreenRequest, response=ScreenResponse, errors=(422,))
@bp.post("/eligibility/screen")
@limiter.limit("120 per minute")
@public
@changes_nothing
def screen():
    data = load_json(ScreenRequest())
    on = data["on"] or clock.today()
    lang = language()
    results = []
    for s in service.screen(db.session, household_from(data["household"]), data["categorical"], on, data["zip"]):
        d = s.determination
        results.append({"program": d.program, "name": s.program.name(lang), "eligible": d.eligible, "tier": d.tier,
                        "period": d.period, "limit_cents": d.limit_cents, "income_cents": d.income_cents,
                        "margin_cents": d.margin_cents, "rule_version": d.rule_version, "reasons": list(d.reasons),
                        "explanation": explain.render(d.explanation, lang), "next_step": next_step(s.program, d)})
    return jsonify(ScreenResponse().dump({"on": on, "programs": results}))
