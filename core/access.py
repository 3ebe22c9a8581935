"""Every view declares who may use it; the sign-in package enforces it before the view runs.

Declaring is kept here (not in `auth`) so any package can mark its views without importing the
sign-in machinery. A view with no declaration is refused to everyone: forgetting is safe.
"""
from __future__ import annotations

from typing import Callable, TypeVar

ROLES = ("customer", "csr", "manager", "admin", "inspector")
# The office: CSRs, managers and admins act for customers and see every application.
STAFF = ("csr", "manager", "admin")
# An inspector works for the utility in the field: their own inspections and the documents of the
# applications they inspect, nothing of the office's (issue 18).
INSPECTOR = "inspector"
# Everyone who works for the utility: two-factor sign-in, as staff.
EMPLOYEES = (*STAFF, INSPECTOR)
ANONYMOUS = "anonymous"

F = TypeVar("F", bound=Callable)


def allow(*roles: str) -> Callable[[F], F]:
    """Allow the named roles (and 'anonymous' for visitors who have not signed in)."""
    unknown = set(roles) - set(ROLES) - {ANONYMOUS}
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    def mark(view: F) -> F:
        view.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]
        return view

    return mark


def public(view: F) -> F:
    """Anyone, signed in or not."""
    return allow(ANONYMOUS, *ROLES)(view)


def staff(view: F) -> F:
    return allow(*STAFF)(view)


def signed_in(view: F) -> F:
    """Anyone who has signed in, whatever their role."""
    return allow(*ROLES)(view)


def allowed_roles(view: Callable) -> frozenset[str] | None:
    return getattr(view, "allowed_roles", None)


def changes_nothing(view: F) -> F:
    """A POST that stores nothing and acts for nobody (the public screener API): no CSRF token.

    CSRF protects what a signed-in browser could be tricked into doing; such a view does nothing
    on anyone's behalf, and scripts call it without a session.
    """
    view.csrf_exempt = True  # type: ignore[attr-defined]
    return view
