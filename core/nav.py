"""Role-aware navigation: each package registers its entries; the layout shows what a role may use.

Staff pages are many, so staff entries name a group: the layout shows the groups as a side
navigation on wide screens and inside the menu on narrow ones, and keeps the header short
(issue 13: a single bar of every staff page ran off the screen).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, g, request, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape


@dataclass(frozen=True)
class NavEntry:
    endpoint: str
    label: object  # a lazy gettext string, translated when rendered
    roles: frozenset[str]
    order: int = 100
    group: str | None = None  # one of GROUPS: shown in the staff side navigation


# The staff groups, in the order they are shown.
GROUPS = {
    "work": _l("Casework"),
    "accounts": _l("Accounts and credits"),
    "programs": _l("Programs and settings"),
    "records": _l("Records and users"),
}


def register_nav(app: Flask, endpoint: str, label, roles, order: int = 100, group: str | None = None) -> None:
    if group is not None and group not in GROUPS:
        raise ValueError(f"unknown navigation group: {group}")
    app.extensions.setdefault("assist.nav", []).append(NavEntry(endpoint, label, frozenset(roles), order, group))
    app.extensions.pop("assist.nav_links", None)


def register_landing(app: Flask, role: str, endpoint: str) -> None:
    """Where a role lands after sign-in (staff: their work, not the public home page)."""
    app.extensions.setdefault("assist.landing", {})[role] = endpoint


def landing_url(app: Flask, role: str) -> str:
    endpoint = app.extensions.get("assist.landing", {}).get(role, "core.home")
    return url_for(endpoint)


def _links(app: Flask, role: str) -> tuple[list[tuple[NavEntry, str]], list[tuple[str, object, list]]]:
    """A role's entries with their URLs, sorted and grouped: the same on every page, so worked out once
    per role and script root (the URLs depend on nothing else) instead of on every page."""
    cache = app.extensions.setdefault("assist.nav_links", {})
    key = (role, request.script_root)
    if key not in cache:
        entries = sorted((e for e in app.extensions.get("assist.nav", []) if role in e.roles), key=lambda e: e.order)
        links = [(e, url_for(e.endpoint)) for e in entries]
        groups = [(k, label, [link for link in links if link[0].group == k]) for k, label in GROUPS.items()]
        cache[key] = ([link for link in links if link[0].group is None], [g for g in groups if g[2]])
    return cache[key]


def navigation(app: Flask, role: str, endpoint: str | None) -> tuple[list[dict], list[dict]]:
    """The header's entries and the staff groups (label, entries) a role may use.

    Labels come translated into the page's language, once per role and language (a staff page
    shows each twice: in the menu and the side navigation)."""
    from core.i18n import current_language

    cache = app.extensions.setdefault("assist.nav_links", {})
    key = ("labels", role, request.script_root, current_language())
    if key not in cache:
        header, grouped = _links(app, role)

        def entry_of(link: tuple[NavEntry, str]) -> tuple[str, str, Markup]:
            entry, url = link
            return entry.endpoint, url, escape(str(entry.label))

        cache[key] = ([entry_of(link) for link in header],
                      [(k, escape(str(label)), [entry_of(link) for link in members]) for k, label, members in grouped])
    header, grouped = cache[key]

    def item(entry: tuple[str, str, Markup]) -> dict:
        name, url, label = entry
        return {"url": url, "label": label, "current": endpoint == name, "endpoint": name}

    groups = [{"key": k, "label": label, "items": [item(e) for e in members]} for k, label, members in grouped]
    return [item(e) for e in header], groups


def init_nav(app: Flask) -> None:
    @app.context_processor
    def _navigation():
        role = g.get("role", "anonymous")
        header, groups = navigation(app, role, request.endpoint)
        return {"nav_items": header, "nav_groups": groups, "current_role": role}
