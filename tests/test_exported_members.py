"""The public surface: ``netwarden.__all__`` is sorted, complete and importable.

Also: every exception class of netwarden lives in ``netwarden._errors`` and
its docstring draws the hierarchy as it is.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import pkgutil
import re
import types
from pathlib import Path

import pytest

import netwarden
from netwarden import _api, _errors

SRC = Path(netwarden.__file__).parent


def _defined_by_netwarden(value: object) -> bool:
    if isinstance(value, types.ModuleType):
        return False
    module = getattr(value, "__module__", None)
    return isinstance(module, str) and module.split(".")[0] == "netwarden"


def test_all_is_sorted() -> None:
    assert netwarden.__all__ == sorted(netwarden.__all__)


def test_all_has_no_private_names_or_duplicates() -> None:
    assert [n for n in netwarden.__all__ if n.startswith("_")] == []
    assert len(set(netwarden.__all__)) == len(netwarden.__all__)


@pytest.mark.parametrize("name", netwarden.__all__)
def test_every_exported_name_is_importable_under_the_public_module(name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from netwarden import {name}", namespace)  # the statement a user writes
    value = namespace[name]
    assert value is getattr(netwarden, name)
    module = getattr(value, "__module__", "netwarden")
    assert not any(part.startswith("_") for part in module.split(".")), (
        f"{name} presents itself as {module}.{name}")


def test_every_public_object_of_the_package_namespace_is_in_all() -> None:
    for name in netwarden.__all__:  # lazy names count once loaded
        getattr(netwarden, name)
    public = {name for name, value in vars(netwarden).items()
              if not name.startswith("_") and _defined_by_netwarden(value)}
    assert public == set(netwarden.__all__)


def test_the_private_modules_surface_is_exported() -> None:
    missing = (set(_errors.__all__) | set(_api.__all__)) - set(netwarden.__all__)
    assert missing == set()


def _modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages([str(SRC)], "netwarden."))


def _exception_bases() -> set[str]:
    """Names a ``class X(...)`` may derive from to be an exception."""
    builtin = {n for n, v in vars(builtins).items()
               if isinstance(v, type) and issubclass(v, BaseException)}
    return builtin | {n for n, v in vars(_errors).items()
                      if isinstance(v, type) and issubclass(v, BaseException)}


def test_every_exception_class_is_defined_in_errors() -> None:
    """Top-level classes are checked on the imported class, nested ones by their bases."""
    bases = _exception_bases()
    outside: list[str] = []
    for name in _modules():
        if name == "netwarden._errors":
            continue
        try:
            module = importlib.import_module(name)
        except ImportError as exc:  # an optional dependency missing: read the source only
            pytest.skip(f"{name}: {exc}")
        tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
        top = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            if node.name in top:
                cls = getattr(module, node.name)
                is_exception = isinstance(cls, type) and issubclass(cls, BaseException)
            else:
                is_exception = any(ast.unparse(b).split(".")[-1] in bases for b in node.bases)
            if is_exception:
                outside.append(f"{name}.{node.name}")
    assert outside == []


def _drawn_tree() -> dict[str, str | None]:
    """child → parent, as the docstring of ``netwarden._errors`` draws it."""
    doc = _errors.__doc__ or ""
    block = doc.split("::\n\n", 1)[1].split("\n\n", 1)[0]
    parents: dict[str, str | None] = {}
    stack: list[str] = []
    for line in block.splitlines():
        m = re.match(r"^    ((?:[│ ]   )*)(?:[├└]── )?([A-Z]\w+)", line)
        if m is None:
            continue
        depth = len(m.group(1)) // 4 + (1 if "──" in line else 0)
        del stack[depth:]
        parents[m.group(2)] = stack[-1] if stack else None
        stack.append(m.group(2))
    return parents


def test_the_errors_docstring_draws_the_hierarchy_as_it_is() -> None:
    classes = {name: value for name, value in vars(_errors).items()
               if isinstance(value, type) and issubclass(value, BaseException)}
    actual = {}
    for name, cls in classes.items():
        parent = next((b.__name__ for b in cls.__bases__ if b.__name__ in classes), None)
        actual[name] = parent
    assert _drawn_tree() == actual
    assert all(issubclass(cls, _errors.NetwardenError) for cls in classes.values())
