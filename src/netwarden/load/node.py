"""``Node``: a value read from a manifest, with its file, line and field path.

>>> Node({"port": Node(80, "np.yaml", 7, "port")}, "np.yaml", 6).get("port").position
Position(file='np.yaml', line=7)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._errors import Position, ValidationError
from .scalars import shorten

__all__ = ["Node", "describe"]


@dataclass(frozen=True, slots=True)
class Node:
    """A value with its file, line and field path.

    ``value`` is a dict of str → Node, a list of Node, or a scalar (str, int,
    float, bool, None). ``path`` is the field path from the document root.
    ``key_line`` is the line of the key the value is written under, when that
    differs from ``line`` (a block list or map starts on the line below its
    key); 0 otherwise.
    """

    value: Any
    file: str
    line: int
    path: str = ""
    key_line: int = 0

    @property
    def position(self) -> Position:
        return Position(self.file, self.line)

    @property
    def key_position(self) -> Position:
        """Where the key of this value is written (an unknown field is reported there).

        >>> Node([], "d.yaml", 10, "spec.x", key_line=9).key_position
        Position(file='d.yaml', line=9)
        """
        return Position(self.file, self.key_line or self.line)

    def error(self, message: str, field: str | None = None) -> ValidationError:
        return ValidationError(self.position, self.path if field is None else field, message)

    def key_error(self, message: str) -> ValidationError:
        """An error about the key itself (unknown, misspelled), at the key's line."""
        return ValidationError(self.key_position, self.path, message)

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
            raise self.error(f"must be {what}, got {describe(self.value)}")
        return self.value

    def expect_list(self, what: str = "a list") -> list[Node]:
        if self.value is None:
            return []
        if not isinstance(self.value, list):
            raise self.error(f"must be {what}, got {describe(self.value)}")
        return self.value

    def expect_str(self) -> str:
        if not isinstance(self.value, str):
            raise self.error(f"must be a string, got {describe(self.value)}")
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
        return Node(value, self.file, self.line, path, self.key_line)

    def expect_int(self) -> int:
        # bool is an int in Python but `port: true` is not a port
        if not isinstance(self.value, int) or isinstance(self.value, bool):
            raise self.error(f"must be an integer, got {describe(self.value)}")
        return self.value

    def expect_bool(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.error(f"must be a boolean, got {describe(self.value)}")
        return self.value

    def plain(self) -> Any:
        """The value with positions stripped, recursively."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


def describe(value: Any) -> str:
    """A value as an error message names it: ``string 'x'``, ``number 80``, ``a list``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {shorten(value)}"
    if isinstance(value, list):
        return "a list"
    return "an object"
