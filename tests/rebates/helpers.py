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
