"""The import graph follows the pipeline: no stage imports a later one, no cycles.

Every module under ``src/netwarden`` is parsed with ``ast``; every import
counts, function-local ones included (an import moved into a function to
dodge a cycle is still an arrow). Imports under ``if TYPE_CHECKING:`` count
for the stage rules but not for cycles, since they never run.

Stages are the first package below ``netwarden`` (``netwarden.load.calico`` is
stage ``load``). The package root and ``netwarden._api`` compose everything
(stage ``api``); ``netwarden.netns`` is the namespace-entering module that
lab and agent share.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import netwarden

SRC = Path(netwarden.__file__).parent
HIGH = {"api", "cli"}  # what composes everything: no stage below lab and agent imports it

# stage -> the stages it must not import
FORBIDDEN: dict[str, set[str]] = {
    "load": {"compile", "engine", "dataplane", "agent", "lab", "cli", "analysis", *HIGH},
    "compile": {"engine", "analysis", "dataplane", "lab", "agent", *HIGH},
    "engine": {"analysis", "dataplane", "lab", "agent", *HIGH},
    "dataplane": {"engine", "analysis", "lab", "agent", *HIGH},
    "lab": {"agent", "cli"},
    "agent": {"lab", "cli"},
    "analysis": {"dataplane", "lab", "agent", *HIGH},
}
# stage -> the only stages it may import (besides itself)
ONLY: dict[str, set[str]] = {
    # The IR is the bottom vocabulary: resources carry its value types (Labels,
    # addresses, the parsed Selector tree) so the loader parses a selector once.
    "resources": {"_errors", "ir"},
    "ir": {"_errors"},
}
ACYCLIC = ("load", "compile", "dataplane", "agent")

# Violations left for later work, keyed by (importing stage, imported module); each
# must still be present (a strict xfail), so its entry goes when the arrow does.
KNOWN: dict[tuple[str, str], str] = {
}


@dataclass(frozen=True, slots=True)
class Import:
    source: str  # importing module
    target: str  # imported netwarden module
    line: int
    type_only: bool


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def stage(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "_api":
        return "api"
    return parts[1]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(node: ast.AST, type_only: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    for child in ast.iter_child_nodes(node):
        inside = type_only or (isinstance(child, ast.If) and _is_type_checking(child.test))
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.body:
                yield stmt, True
                yield from _walk(stmt, True)
            for stmt in child.orelse:
                yield stmt, type_only
                yield from _walk(stmt, type_only)
            continue
        yield child, inside
        yield from _walk(child, inside)


def imports_of(module: str) -> list[Import]:
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: list[Import] = []
    for node, type_only in _walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - node.level + 1]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            # ``from X import sub`` of a submodule imports X.sub; any other name is X's
            submodules = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
            targets = submodules + ([base] if len(submodules) < len(node.names) else [])
        for target in targets:
            if target.split(".")[0] == "netwarden":
                while target not in MODULES:  # ``import netwarden.x.y`` of an attribute
                    target = target.rpartition(".")[0]
                out.append(Import(module, target, node.lineno, type_only))  # type: ignore[attr-defined]
    return out


ALL_IMPORTS = [imp for module in MODULES for imp in imports_of(module)]


def violations() -> list[tuple[Import, str]]:
    found = []
    for imp in ALL_IMPORTS:
        src, dst = stage(imp.source), stage(imp.target)
        if src == dst:
            continue
        if src in ONLY and dst not in ONLY[src]:
            found.append((imp, f"{src} may import only {sorted(ONLY[src])}"))
        elif dst in FORBIDDEN.get(src, set()):
            found.append((imp, f"{src} must not import {dst}"))
    return found


def _violation_id(imp: Import) -> str:
    return f"{imp.source} -> {imp.target}"


def test_the_modules_are_found() -> None:
    assert {"netwarden.load.loader", "netwarden.compile", "netwarden.ir.policy",
            "netwarden.cli._common"} <= set(MODULES)
    assert any(i.source == "netwarden.compile.calico" and i.target == "netwarden.ir"
               for i in ALL_IMPORTS)


def test_function_local_and_relative_imports_are_seen() -> None:
    """The graph's own rules, on a module written for it."""
    code = ("from .. import ir\nfrom ..engine import Engine\ndef f():\n    from ..cli import main\n"
            "if TYPE_CHECKING:\n    from ..lab import Lab\n")
    tree = ast.parse(code)
    names = [(n.module, t) for n, t in _walk(tree) if isinstance(n, ast.ImportFrom)]
    assert names == [(None, False), ("engine", False), ("cli", False), ("lab", True)]


def test_no_stage_imports_a_later_one() -> None:
    unexpected = [f"{imp.source}:{imp.line} imports {imp.target}: {why}"
                  for imp, why in violations() if (stage(imp.source), imp.target) not in KNOWN]
    assert unexpected == []


@pytest.mark.parametrize(
    ("source", "target"),
    [pytest.param(s, t, marks=pytest.mark.xfail(strict=True, reason=why), id=f"{s}->{t}")
     for (s, t), why in KNOWN.items()] or [pytest.param("", "", marks=pytest.mark.skip(
         reason="no known violation left"), id="none")],
)
def test_known_violation_is_still_there(source: str, target: str) -> None:
    """Fails (xfail) while the violation remains; passes once it is gone, so the entry
    in KNOWN must then be removed (strict)."""
    assert not any(stage(imp.source) == source and imp.target == target
                   for imp, _ in violations())


def _graph(package: str) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES if stage(m) == package}
    for imp in ALL_IMPORTS:
        if imp.source in graph and imp.target in graph and not imp.type_only \
                and imp.source != imp.target:
            graph[imp.source].add(imp.target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_cycles_are_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("package", ACYCLIC)
def test_no_import_cycle_inside(package: str) -> None:
    assert _cycles(_graph(package)) == []


def test_importing_the_loader_does_not_import_the_compiler() -> None:
    code = ("import sys, netwarden.load\n"
            "print(sorted(m for m in sys.modules if m.startswith('netwarden.compile')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout.strip() == "[]"


def _reachable(start: str) -> set[str]:
    """Modules that importing ``start`` may load (every static import, transitively)."""
    edges: dict[str, set[str]] = {}
    for imp in ALL_IMPORTS:
        if not imp.type_only:
            edges.setdefault(imp.source, set()).add(imp.target)
    seen, todo = set(), [start]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parts = module.split(".")
        todo.extend(".".join(parts[:i]) for i in range(2, len(parts)))  # parent packages
        todo.extend(edges.get(module, ()))
    return seen


@pytest.mark.parametrize("module", ["netwarden.cli._common", "netwarden.load.live"])
def test_reading_a_live_cluster_does_not_need_the_agent(module: str) -> None:
    assert sorted(m for m in _reachable(module) if stage(m) == "agent") == []
