"""Rebate definitions written by test code."""
from __future__ import annotations

import copy
import json

from rebates import definitions


def example_document() -> dict:
    return json.loads((definitions.DATA / definitions.EXAMPLE_FILE).read_text())


def small_program(code="TEST-WATER", example=False, versions=None) -> dict:
    toilet = {"code": "TOILET", "name": {"en": "Toilet", "es": "Inodoro"},
              "amount": {"kind": "per_unit", "amount": "100.00"}, "cap_at_cost": True,
              "limits": [{"scope": "premise", "max_units": 2}]}
    return {"programs": [{"code": code, "name": {"en": "Test rebates", "es": "Reembolsos de prueba"},
                          "example": example,
                          "versions": versions or [{"label": "2026", "effective_from": "2026-01-01",
                                                    "source": "test", "measures": [toilet]}]}]}


def write(tmp_path, document, name="rebates.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return str(path)


def changed(document: dict, edit) -> dict:
    document = copy.deepcopy(document)
    edit(document)
    return document


def make_program(session, code="TEST-WATER", fiscal_year_starts="07-01", reportable=True):
    """A small rebate program loaded as a definitions file would load it."""
    from rebates import service

    document = small_program(code)
    document["programs"][0]["fiscal_year_starts"] = fiscal_year_starts
    document["programs"][0]["tax_reportable"] = reportable
    service.load_definitions(session, definitions.parse(document))
    return service.get_program(session, code)


def make_application(session, *, account=None, applicant=None, submitted_at=None):
    """A bare applications row: the budget and payments refer to an application only by its id."""
    from core import clock
    from applications.models import Application
    from tests.factories import make_account, make_user

    applicant = applicant or make_user(session, "customer")
    account = account or make_account(session)
    now = clock.now()
    application = Application(account_id=account.id, applicant_id=applicant.id, started_by_id=applicant.id,
                              kind="rebate", status="submitted", language=applicant.language, submitted_at=submitted_at or now,
                              submitted_on=(submitted_at or now).date(), created_at=now, updated_at=now)
    session.add(application)
    session.flush()
    return application
