"""YAML and JSON documents that remember where each value was written.

PyYAML's composer keeps a line for every node; we keep that line beside the
plain Python value so validation can say ``policies.yaml:14: spec.ingress[0]``
without the validators handling YAML nodes themselves.

>>> doc = next(parse_documents("kind: Pod\\nmetadata:\\n  name: web\\n", "pod.yaml"))
>>> doc.get("metadata").get("name").value, doc.get("metadata").get("name").line
('web', 3)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from .._errors import Position, ValidationError

__all__ = ["Node", "parse_documents"]

try:  # the C loader is several times faster on large inputs
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


@dataclass(frozen=True, slots=True)
class Node:
    """A value with its file, line and field path.

    ``value`` is a dict of str → Node, a list of Node, or a scalar (str, int,
    float, bool, None). ``path`` is the field path from the document root.
    """

    value: Any
    file: str
    line: int
    path: str = ""

    @property
    def position(self) -> Position:
        return Position(self.file, self.line)

    def error(self, message: str, field: str | None = None) -> ValidationError:
        return ValidationError(self.position, self.path if field is None else field, message)

    # -- typed access: each raises a ValidationError naming this node --------
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    def is_list(self) -> bool:
        return isinstance(self.value, list)

    def is_null(self) -> bool:
        return self.value is None

    def get(self, key: str) -> Node | None:
        """The child ``key`` of a mapping, or None when absent (or this is not a mapping)."""
        if not isinstance(self.value, dict):
            return None
        return self.value.get(key)

    def child_path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def expect_map(self, what: str = "an object") -> dict[str, Node]:
        if self.value is None:
            return {}
        if not isinstance(self.value, dict):
            raise self.error(f"must be {what}, got {_kind(self.value)}")
        return self.value

    def expect_list(self, what: str = "a list") -> list[Node]:
        if self.value is None:
            return []
        if not isinstance(self.value, list):
            raise self.error(f"must be {what}, got {_kind(self.value)}")
        return self.value

    def expect_str(self) -> str:
        if not isinstance(self.value, str):
            raise self.error(f"must be a string, got {_kind(self.value)}")
        return self.value

    def rebased(self, path: str = "") -> Node:
        """This subtree with field paths starting again at ``path``.

        Items of a ``kind: List`` are objects of their own; their errors name
        ``spec.ingress`` rather than ``items[3].spec.ingress``.
        """
        if isinstance(self.value, dict):
            value: Any = {
                k: v.rebased(f"{path}.{k}" if path else k) for k, v in self.value.items()
            }
        elif isinstance(self.value, list):
            value = [v.rebased(f"{path}[{i}]") for i, v in enumerate(self.value)]
        else:
            value = self.value
        return Node(value, self.file, self.line, path)

    def expect_int(self) -> int:
        # bool is an int in Python but `port: true` is not a port
        if not isinstance(self.value, int) or isinstance(self.value, bool):
            raise self.error(f"must be an integer, got {_kind(self.value)}")
        return self.value

    def expect_bool(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.error(f"must be a boolean, got {_kind(self.value)}")
        return self.value

    def plain(self) -> Any:
        """The value with positions stripped, recursively."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, list):
        return "a list"
    return "an object"


_STR_TAG = "tag:yaml.org,2002:str"


def _scalar(node: yaml.Node, constructor: Any) -> Any:
    # Most scalars are plain strings: skip the constructor's dispatch for them.
    if node.tag == _STR_TAG:
        return node.value
    return constructor.construct_object(node, deep=True)


def _convert(node: yaml.Node, file: str, path: str, constructor: Any) -> Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, constructor)
            key = str(key) if not isinstance(key, str) else key
            child = f"{path}.{key}" if path else key
            out[key] = _convert(value_node, file, child, constructor)
        return Node(out, file, line, path)
    if isinstance(node, yaml.SequenceNode):
        items = [
            _convert(item, file, f"{path}[{i}]", constructor) for i, item in enumerate(node.value)
        ]
        return Node(items, file, line, path)
    return Node(_scalar(node, constructor), file, line, path)


def parse_documents(text: str, file: str) -> Iterator[Node]:
    """Every non-empty document of a YAML (or JSON) stream, with positions.

    A syntax error becomes a ``ValidationError`` at the line where the
    parser stopped.
    """
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            yield _convert(node, file, "", loader)
            loader.constructed_objects = {}  # per document, as PyYAML's own loop does
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        problem = exc.problem or str(exc)
        raise ValidationError(Position(file, line), "", f"invalid YAML: {problem}") from None
    finally:
        loader.dispose()
