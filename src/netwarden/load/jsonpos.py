"""JSON documents with a line for every value, read as strictly as the API server reads them.

A ``.json`` manifest is JSON, not YAML: trailing commas, comments, single
quotes, ``NaN`` and ``Infinity`` are errors, a number with a fraction or an
exponent stays a float (``"port": 80.0`` is not an integer in JSON, unlike in
YAML), and a key written twice is an error naming both lines. A file may hold
several documents one after the other, as kubectl accepts.

>>> (doc,), errors = read_json('{"kind": "Pod",\\n "spec": {"port": 80}}', "p.json")
>>> doc.get("spec").get("port").value, doc.get("spec").get("port").line, errors
(80, 2, [])
>>> read_json('{"a": 1,}', "p.json")[1][0].message
'invalid JSON: a trailing comma before }'
"""

from __future__ import annotations

import bisect
import json
import re
from typing import Any

from .._errors import JsonStop, Position, ValidationError
from .node import Node
from .scalars import clip

__all__ = ["read_json"]

_SPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_SURROGATE = re.compile("[\ud800-\udfff]")
_LITERALS = {"true": True, "false": False, "null": None}
_MAX_DEPTH = 100  # as the YAML reader (yamlpos.MAX_DEPTH)


def read_json(text: str, file: str) -> tuple[list[Node], list[ValidationError]]:
    """Every document of a JSON stream as ``yamlpos.Node`` trees, and the problems found.

    A syntax error ends the file; a duplicate key drops its document and is
    reported with both lines.
    """
    reader = _Reader(text, file)
    docs: list[Any] = []
    errors: list[ValidationError] = []
    at = _SPACE.match(text, 0).end()  # type: ignore[union-attr]
    while at < len(text):
        reader.duplicates = []
        try:
            doc, at = reader.value(at, "", 0)
        except JsonStop as stop:
            errors.append(ValidationError(reader.position(stop.offset), stop.field,
                                          stop.message))
            break
        if reader.duplicates:
            errors.extend(reader.duplicates)
        else:
            docs.append(doc)
        at = _SPACE.match(text, at).end()  # type: ignore[union-attr]
    return docs, errors


class _Reader:
    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self.breaks = [m.start() for m in re.finditer("\n", text)]
        self.duplicates: list[ValidationError] = []

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.breaks, offset - 1) + 1

    def position(self, offset: int) -> Position:
        return Position(self.file, self.line(offset))

    def node(self, value: Any, offset: int, path: str) -> Any:
        return Node(value, self.file, self.line(offset), path)

    def value(self, at: int, path: str, depth: int) -> tuple[Any, int]:
        text = self.text
        if depth > _MAX_DEPTH:
            raise JsonStop(at, f"nested deeper than {_MAX_DEPTH} levels", path)
        char = text[at] if at < len(text) else ""
        if char == "{":
            return self.object(at, path, depth)
        if char == "[":
            return self.array(at, path, depth)
        if char == '"':
            string, end = self.string(at)
            return self.node(string, at, path), end
        match = _NUMBER.match(text, at)
        if match is not None and match.end() > at:
            number: Any = int(match.group()) if not (match.group(1) or match.group(2)) \
                else float(match.group())
            if number in (float("inf"), float("-inf")):
                raise JsonStop(at, f"number {clip(match.group())} is out of range", path)
            return self.node(number, at, path), match.end()
        for word, literal in _LITERALS.items():
            if text.startswith(word, at):
                return self.node(literal, at, path), at + len(word)
        raise JsonStop(at, self.unexpected(at, "a value"), path)

    def unexpected(self, at: int, wanted: str) -> str:
        if at >= len(self.text):
            return f"invalid JSON: the text ends where {wanted} should be"
        char = self.text[at]
        hint = ""
        if char in "/#":
            hint = " (JSON has no comments)"
        elif char == "'":
            hint = " (JSON strings take double quotes)"
        elif self.text.startswith(("NaN", "Infinity", "-Infinity"), at):
            hint = " (JSON has no NaN or Infinity)"
        return f"invalid JSON: expected {wanted}, found {char!r}{hint}"

    def space(self, at: int) -> int:
        return _SPACE.match(self.text, at).end()  # type: ignore[union-attr]

    def string(self, at: int) -> tuple[str, int]:
        try:
            value, end = json.decoder.scanstring(self.text, at + 1, True)  # type: ignore[attr-defined]
        except json.JSONDecodeError as exc:
            raise JsonStop(exc.pos, f"invalid JSON: {exc.msg.lower()}") from None
        if _SURROGATE.search(value):  # Go's decoder replaces lone surrogates with U+FFFD
            value = _SURROGATE.sub("\ufffd", value)
        return value, end

    def object(self, start: int, path: str, depth: int) -> tuple[Any, int]:
        text = self.text
        out: dict[str, Any] = {}
        lines: dict[str, int] = {}
        at = self.space(start + 1)
        if text.startswith("}", at):
            return self.node(out, start, path), at + 1
        while True:
            if not text.startswith('"', at):
                raise JsonStop(at, "invalid JSON: a trailing comma before }" if
                            text.startswith("}", at) else self.unexpected(at, "a key in quotes"),
                            path)
            key_at = at
            key, at = self.string(at)
            at = self.space(at)
            if not text.startswith(":", at):
                raise JsonStop(at, self.unexpected(at, "':'"), path)
            child_path = f"{path}.{key}" if path else key
            child, at = self.value(self.space(at + 1), child_path, depth + 1)
            key_line = self.line(key_at)
            if key in out:
                self.duplicates.append(ValidationError(
                    Position(self.file, key_line), child_path,
                    f"duplicate key (first at line {lines[key]})"))
            else:
                out[key] = child if child.line == key_line else Node(
                    child.value, child.file, child.line, child.path, key_line)
                lines[key] = key_line
            at = self.space(at)
            if text.startswith("}", at):
                return self.node(out, start, path), at + 1
            if not text.startswith(",", at):
                raise JsonStop(at, self.unexpected(at, "',' or '}'"), path)
            at = self.space(at + 1)

    def array(self, start: int, path: str, depth: int) -> tuple[Any, int]:
        text = self.text
        items: list[Any] = []
        at = self.space(start + 1)
        if text.startswith("]", at):
            return self.node(items, start, path), at + 1
        while True:
            if text.startswith("]", at):
                raise JsonStop(at, "invalid JSON: a trailing comma before ]", path)
            item, at = self.value(at, f"{path}[{len(items)}]", depth + 1)
            items.append(item)
            at = self.space(at)
            if text.startswith("]", at):
                return self.node(items, start, path), at + 1
            if not text.startswith(",", at):
                raise JsonStop(at, self.unexpected(at, "',' or ']'"), path)
            at = self.space(at + 1)
