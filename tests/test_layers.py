"""The package's layering, checked on its source (ast, no imports run).

The pipeline reads bottom to top: a module imports only from its own floor or the floors below
it (docs: ../shared/DESIGN.md, issue 9), and nothing imports in a circle. Every import counts,
including imports inside functions; imports under ``if TYPE_CHECKING:`` count for the floor
rule but not for cycles (they never run). Also: no ``__import__``, no module over 650 lines, no
``print`` outside ``cli.py``, no ``getattr`` reaching a private name.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

PACKAGE = "geo_outreach"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE

#: Lowest first. A name stands for the module ``geo_outreach.<name>`` and, for a subpackage,
#: every module under it (``coverage`` = ``coverage/__init__.py`` and ``coverage.*``);
#: ``__init__`` is the package itself.
FLOORS: tuple[frozenset[str], ...] = (
    frozenset(
        {"_errors", "_validate", "_version", "i18n", "_toml", "scenario", "scenario_checks"}
        | {"scenario_doc"}
    ),
    # _geojson: issue 14; _parallel (#14, forked worker processes; stdlib only): the loader's
    # venues/streets worker as well as plan's stages
    frozenset({"crs", "join", "outputs", "_geojson", "_parallel"}),
    frozenset(
        {"io", "_alerts", "_parse", "_precincts", "_tables", "_times", "datum_check", "osm"}
        | {"_venues"}  # issue 14: venue and street layers, split from io
        | {"engine"}  # issue 14 (B): PostGIS source + Dask engine; io dispatches to it
        | {"_parquet"}  # issue 14: (Geo)Parquet readers, split from _tables
        | {"_time_bytes"}  # issue 14: the byte-level time reader, split from _times
    ),
    frozenset({"stats", "density", "hotspots", "forecast"} | {"_dbscan"}),  # issue 13, 14
    frozenset({"analytics"}),
    frozenset({"coverage"}),
    frozenset({"channels"}),
    frozenset({"backtest", "playbook"}),  # issue 12: playbook sits above channels
    frozenset({"effect"}),  # issue 13
    frozenset({"render"}),
    frozenset({"manifest", "plan", "validate"}),  # validate: split from plan (issue 14)
    frozenset({"api", "__init__", "project_init"}),
    frozenset({"cli", "__main__"}),
)

#: Modules exempt from these rules: none. A module that breaks a rule is fixed, not listed here
#: (the set stays as the one place an exemption would have to be argued for).
LEGACY_MODULES: frozenset[str] = frozenset()

MAX_LINES = 650
PRINT_ALLOWED = frozenset({"geo_outreach.cli"})  # the package and every module in it


@dataclass(frozen=True)
class Edge:
    """One import statement: ``source`` imports ``target`` at ``line``."""

    source: str
    target: str
    line: int
    type_only: bool


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


@cache
def _tree(name: str) -> ast.Module:
    path = _modules()[name]
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def floor_of(name: str) -> int | None:
    """Index in FLOORS of a package module; None for a legacy module not in FLOORS."""
    key = "__init__" if name == PACKAGE else name.removeprefix(PACKAGE + ".").split(".")[0]
    for i, floor in enumerate(FLOORS):
        if key in floor:
            return i
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _type_only_nodes(tree: ast.Module) -> set[int]:
    """ids of the import nodes inside ``if TYPE_CHECKING:`` blocks."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for stmt in node.body:
                out.update(id(n) for n in ast.walk(stmt))
    return out


def _resolve(source: str, node: ast.ImportFrom) -> str:
    """Absolute module name of ``from X import ...`` (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    is_pkg = _modules()[source].name == "__init__.py"
    base = source.split(".")
    base = base[: len(base) - node.level + (1 if is_pkg else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(source: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """Package modules an import statement loads (a name from a package may be a submodule)."""
    mods = _modules()
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == PACKAGE]
    base = _resolve(source, node)
    if base.split(".")[0] != PACKAGE:
        return []
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]


@cache
def edges(source: str) -> tuple[Edge, ...]:
    """Every import of a package module by ``source`` (function-level imports included)."""
    tree = _tree(source)
    type_only = _type_only_nodes(tree)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for target in _targets(source, node):
                if target != source:
                    out.append(Edge(source, target, node.lineno, id(node) in type_only))
    return tuple(sorted(set(out), key=lambda e: (e.line, e.target)))


def _checked() -> list[str]:
    return [m for m in _modules() if m not in LEGACY_MODULES]


# --------------------------------------------------------------------------- the walker itself


def test_walker_sees_function_level_and_from_package_imports():
    assert "geo_outreach._errors" in _modules()
    found = {(e.target, e.type_only) for e in edges("geo_outreach._parse")}
    assert ("geo_outreach._errors", False) in found
    assert ("geo_outreach.crs", False) in found  # `from geo_outreach import crs as _crs`
    assert ("geo_outreach.osm", False) in found  # imported inside a function
    assert floor_of("geo_outreach") == floor_of("geo_outreach.api")
    assert floor_of("geo_outreach.coverage.solve") == floor_of("geo_outreach.coverage")
    assert floor_of("geo_outreach.crs") < floor_of("geo_outreach.io") < floor_of("geo_outreach.cli")


def test_legacy_modules_exist():
    """A legacy entry whose module is gone is stale: remove it from LEGACY_MODULES."""
    assert LEGACY_MODULES <= set(_modules())


# --------------------------------------------------------------------------- the rules


@pytest.mark.parametrize("module", _checked())
def test_module_has_a_floor(module):
    assert floor_of(module) is not None, f"{module}: add it to a floor in FLOORS"


@pytest.mark.parametrize("module", _checked())
def test_no_import_from_a_higher_floor(module):
    mine = floor_of(module)
    assert mine is not None
    bad = [
        f"line {e.line}: {e.target} (floor {floor_of(e.target)})"
        for e in edges(module)
        if (theirs := floor_of(e.target)) is not None and theirs > mine
    ]
    assert not bad, f"{module} (floor {mine}) imports from a higher floor: {bad}"


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path ``[a, b, ..., a]``, or None (iterative DFS)."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    for start in sorted(graph):
        if state.get(start):
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        path = [start]
        state[start] = 1
        while stack:
            node, todo = stack[-1]
            if not todo:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            nxt = todo.pop()
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, sorted(graph.get(nxt, ()))))
    return None


def test_find_cycle_finds_one():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_import_cycles():
    checked = set(_checked())
    graph = {
        m: {e.target for e in edges(m) if not e.type_only and e.target in checked} for m in checked
    }
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("module", _checked())
def test_no_dunder_import(module):
    """``__import__`` hides a dependency from this test and from every tool: import by name."""
    hits = [
        n.lineno
        for n in ast.walk(_tree(module))
        if (isinstance(n, ast.Name) and n.id == "__import__")
        or (isinstance(n, ast.Attribute) and n.attr == "__import__")
    ]
    assert not hits, f"{module}: __import__ at lines {hits}"


@pytest.mark.parametrize("module", _checked())
def test_module_size(module):
    lines = len(_modules()[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module}: {lines} lines (limit {MAX_LINES}); split it"


@pytest.mark.parametrize(
    "module",
    [m for m in _checked() if not any(m == p or m.startswith(p + ".") for p in PRINT_ALLOWED)],
)
def test_library_never_prints(module):
    hits = [
        n.lineno
        for n in ast.walk(_tree(module))
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"
    ]
    assert not hits, f"{module}: print() at lines {hits}; report through a progress callback"


@pytest.mark.parametrize("module", _checked())
def test_no_getattr_on_private_names(module):
    hits = [
        n.lineno
        for n in ast.walk(_tree(module))
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Name)
        and n.func.id == "getattr"
        and len(n.args) >= 2
        and isinstance(n.args[1], ast.Constant)
        and isinstance(n.args[1].value, str)
        and n.args[1].value.startswith("_")
        and not n.args[1].value.startswith("__")
    ]
    assert not hits, f"{module}: getattr on a private name at lines {hits}; make it public"
