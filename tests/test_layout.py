"""Dependencies run one way (GUIDE.md section 5), imports inside functions included; the module graph
has no cycle; no package reaches into another's pages, API or private names; rules stay pure."""
from __future__ import annotations

import ast

import pytest

from tests.conftest import ROOT

OURS = ("core", "auth", "accounts", "documents", "notices", "applications", "eligibility", "rebates", "review",
        "reports")
# What each package may import besides itself and core: every layer below it.
LAYERS = ("core", "auth", "accounts", "documents", "notices", "applications", "eligibility", "rebates")
MAY_USE = {
    "core": set(),
    "auth": set(),
    "accounts": {"auth"},
    "documents": {"auth", "accounts"},
    "notices": {"auth", "accounts", "documents"},
    "applications": {"auth", "accounts", "documents", "notices"},
    "eligibility": {"auth", "accounts", "documents", "notices", "applications"},
    "rebates": {"auth", "accounts", "documents", "notices", "applications", "eligibility"},
    "review": {"auth", "accounts", "documents", "notices", "applications", "eligibility", "rebates"},
    "reports": {"auth", "accounts", "documents", "notices", "applications", "eligibility", "rebates"},
}
# Modules no other package may import from: pages and API are entry points, not libraries.
ENTRY_POINTS = ("views", "api")
# Except core's: `core.api` is the API framework (the spec, `documented`, `load_json`) and `core.views`
# holds what every page shares (`page_number`); their routes are core's own.
CORE_FRAMEWORK = ("core.api", "core.views")


def _files(package: str):
    return sorted((ROOT / package).rglob("*.py")) if (ROOT / package).exists() else []


def _module(path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _import_nodes(path):
    """(module imported, names taken from it) for every import in the file, those in functions included."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ()
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, tuple(alias.name for alias in node.names)


def _imports(path) -> set[str]:
    return {module.split(".")[0] for module, _names in _import_nodes(path)}


ALL_MODULES = {_module(p): p for pkg in OURS for p in _files(pkg)}


def _targets(module: str, names: tuple[str, ...]) -> set[str]:
    """The modules of ours an import loads: `from a.b import c` is a.b, or a.b.c when c is a module."""
    found = {module} if module in ALL_MODULES else set()
    found |= {f"{module}.{name}" for name in names if f"{module}.{name}" in ALL_MODULES}
    return found


@pytest.mark.parametrize("package", OURS)
def test_a_package_imports_only_what_it_may(package):
    allowed = MAY_USE[package] | {package, "core"}
    wrong = {f"{path.relative_to(ROOT)} imports {name}" for path in _files(package)
             for name in _imports(path) if name in OURS and name not in allowed}
    assert wrong == set()


@pytest.mark.parametrize("package", OURS)
def test_no_package_imports_another_packages_pages_api_or_private_names(package):
    wrong = set()
    for path in _files(package):
        for module, names in _import_nodes(path):
            top = module.split(".")[0]
            if top not in OURS or top == package:
                continue
            if top == "core" and module in CORE_FRAMEWORK:
                continue
            parts = module.split(".")
            if any(part in ENTRY_POINTS or part.startswith("_") for part in parts[1:]):
                wrong.add(f"{path.relative_to(ROOT)} imports {module}")
            for name in names:
                if name in ENTRY_POINTS or (name.startswith("_") and name != "__version__"):
                    wrong.add(f"{path.relative_to(ROOT)} imports {name} from {module}")
    assert wrong == set()


def test_the_module_graph_has_no_cycle():
    """Imports inside functions count: a cycle hidden in a function body is still a cycle."""
    graph = {name: set() for name in ALL_MODULES}
    for name, path in ALL_MODULES.items():
        for module, names in _import_nodes(path):
            graph[name] |= _targets(module, names) - {name}
    state: dict[str, int] = {}
    cycles = []

    def visit(node, trail):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(trail[trail.index(nxt):] + [nxt]) if nxt in trail else f"{node} -> {nxt}")
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_applications_never_import_the_kinds_above_them():
    wrong = {f"{path.relative_to(ROOT)} imports {name}" for path in _files("applications")
             for name in _imports(path) if name in ("eligibility", "rebates", "review", "reports")}
    assert wrong == set()


@pytest.mark.parametrize("path", [p for pkg in OURS for p in _files(pkg) if p.name == "rules.py"],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_rules_are_pure(path):
    assert _imports(path) & {"flask", "flask_babel", "flask_login", "sqlalchemy"} == set()


def test_enrollments_never_import_recertification():
    """Recertification uses enrollments (and registers what a renewal does); never the other way."""
    wrong = {f"{path.relative_to(ROOT)} imports {module}" for path in _files("eligibility/enrollments")
             for module, _names in _import_nodes(path) if module.startswith("eligibility.recertification")}
    assert wrong == set()
