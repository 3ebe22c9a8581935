"""Dependencies run one way (GUIDE.md section 5), and rules stay pure."""
from __future__ import annotations

import ast

import pytest

from tests.conftest import ROOT

OURS = ("core", "auth", "accounts", "documents", "eligibility", "rebates", "review", "reports")
# What each package may import besides itself and core.
MAY_USE = {
    "core": set(),
    "auth": set(),
    "accounts": {"auth"},
    "documents": {"auth", "accounts"},
    "eligibility": {"auth", "accounts", "documents"},
    "rebates": {"auth", "accounts", "documents", "eligibility"},
    "review": {"auth", "accounts", "documents", "eligibility", "rebates"},
    "reports": {"auth", "accounts", "documents", "eligibility", "rebates"},
}


def _imports(path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _files(package: str):
    return sorted((ROOT / package).rglob("*.py")) if (ROOT / package).exists() else []


@pytest.mark.parametrize("package", OURS)
def test_a_package_imports_only_what_it_may(package):
    allowed = MAY_USE[package] | {package, "core"}
    wrong = {f"{path.relative_to(ROOT)} imports {name}" for path in _files(package)
             for name in _imports(path) if name in OURS and name not in allowed}
    assert wrong == set()


@pytest.mark.parametrize("path", [p for pkg in OURS for p in _files(pkg) if p.name == "rules.py"],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_rules_are_pure(path):
    assert _imports(path) & {"flask", "flask_babel", "flask_login", "sqlalchemy"} == set()
