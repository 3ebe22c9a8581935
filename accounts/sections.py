"""Parts that packages above `accounts` add to the staff page of an account (its enrollments and
applications beside its ledger), so that page shows an account's whole story without `accounts`
importing them."""
from __future__ import annotations

from typing import Callable

from flask import Flask


def register_account_section(app: Flask, template: str, load: Callable, order: int = 100) -> None:
    """`load(session, account)` returns the template's context (a dict), read-only."""
    app.extensions.setdefault("assist.account_sections", []).append((order, template, load))


def account_sections(app: Flask, session, account) -> list[tuple[str, dict]]:
    return [(template, load(session, account))
            for _order, template, load in sorted(app.extensions.get("assist.account_sections", []),
                                                 key=lambda s: s[0])]
