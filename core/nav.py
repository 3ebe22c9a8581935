"""Role-aware navigation: each package registers its entries; the layout shows what a role may use."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, g, request, url_for


@dataclass(frozen=True)
class NavEntry:
    endpoint: str
    label: object  # a lazy gettext string, translated when rendered
    roles: frozenset[str]
    order: int = 100


def register_nav(app: Flask, endpoint: str, label, roles, order: int = 100) -> None:
    app.extensions.setdefault("assist.nav", []).append(NavEntry(endpoint, label, frozenset(roles), order))


def init_nav(app: Flask) -> None:
    @app.context_processor
    def _navigation():
        role = g.get("role", "anonymous")
        entries = sorted(app.extensions.get("assist.nav", []), key=lambda e: e.order)
        items = [
            {"url": url_for(e.endpoint), "label": e.label,
             "current": request.endpoint == e.endpoint}
            for e in entries if role in e.roles
        ]
        return {"nav_items": items, "current_role": role}
