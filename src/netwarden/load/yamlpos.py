"""YAML and JSON documents that remember where each value was written.

PyYAML's C parser (libyaml) composes the nodes with their lines; we resolve
each scalar as Kubernetes does (``scalars``: go-yaml v2 through
sigs.k8s.io/yaml) and keep the line beside the JSON-equivalent value, so
validation can say ``policies.yaml:14: spec.ingress[0]`` without handling
YAML nodes itself. JSON input goes to ``jsonpos``.

What no cluster would read is refused here, each with file, line and field:
duplicate keys (``x.yaml:12: metadata.name: duplicate key (first at line 4)``),
null keys, values JSON cannot hold (``.inf``), tags whose text is not of
their type (``!!int 0x``), self-containing anchors, excessive alias expansion
(go-yaml's rule), nesting deeper than ``MAX_DEPTH`` and characters YAML does
not allow.

>>> doc = next(parse_documents("kind: Pod\\nmetadata:\\n  name: web\\n", "pod.yaml"))
>>> doc.get("metadata").get("name").value, doc.get("metadata").get("name").line
('web', 3)
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from typing import Any

import yaml

from .._errors import DocumentAborted, InvalidManifests, Position, ValidationError
from .jsonpos import read_json
from .node import Node, describe
from .scalars import (
    NOT_JSON,
    NUMBER_START,
    WORDS,
    ScalarError,
    clip,
    key_text,
    plain,
    plain_key,
    shorten,
    tagged,
)

__all__ = ["MAX_DEPTH", "Node", "parse_documents", "read_documents"]

_kind = describe  # the name the validators import

MAX_DEPTH = 100  # Kubernetes objects nest about 15 deep; recursion stays far from Python's limit


_PLAIN = "!netwarden/plain"  # our marker: a plain scalar, resolved by ``scalars.plain``
_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
# YAML's printable set: tab, line breaks, and printable Unicode (libyaml refuses the rest)
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _c_loader() -> Any:
    base: Any = getattr(yaml, "CSafeLoader", None)
    if base is None:  # pragma: no cover - PyYAML built without libyaml
        base = yaml.SafeLoader

    class Loader(base):  # type: ignore[misc]
        """libyaml's parser and composer, with go-yaml's resolution left to us."""

        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            return None  # no path resolvers: skip PyYAML's per-node bookkeeping

        def ascend_resolver(self) -> None:
            return None

        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            if kind is yaml.ScalarNode:
                return _PLAIN if implicit[0] else _STR_TAG
            return _MAP_TAG if kind is yaml.MappingNode else _SEQ_TAG

    return Loader


_Loader = _c_loader()


class _Composer:
    """yaml.Node tree → Node tree, resolving scalars and checking what kubectl checks.

    libyaml shares one node between an anchor and its aliases; a node met a
    second time is an alias expansion, counted as go-yaml counts them.
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[ValidationError] = []
        self.decoded = 0
        self.aliased = 0
        self.alias_depth = 0
        self.seen: set[int] = set()
        self.active: set[int] = set()

    def error(self, node: yaml.Node, path: str, message: str) -> ValidationError:
        return ValidationError(Position(self.file, node.start_mark.line + 1), path, message)

    def document(self, node: yaml.Node) -> Node:
        return self.convert(node, "", 0)

    def convert(self, node: yaml.Node, path: str, depth: int, key_line: int = 0) -> Node:
        if node.__class__ is yaml.ScalarNode:
            self.count(node, path, False)
            return Node(self.scalar(node, path), self.file, node.start_mark.line + 1, path)
        ident = id(node)
        if ident in self.active:
            raise DocumentAborted(
                self.error(node, path, "an anchor's value contains an alias to itself"))
        repeated = ident in self.seen
        self.count(node, path, repeated)
        if depth > MAX_DEPTH:
            shown = path if len(path) <= 80 else path[:80] + "…"
            raise DocumentAborted(self.error(node, shown, f"nested deeper than {MAX_DEPTH} levels"))
        self.active.add(ident)
        self.alias_depth += repeated
        try:
            if isinstance(node, yaml.MappingNode):
                value: Any = self.mapping(node, path, depth)
            else:
                value = [self.convert(item, f"{path}[{i}]", depth + 1)
                         for i, item in enumerate(node.value)]
        finally:
            self.alias_depth -= repeated
            self.active.discard(ident)
            self.seen.add(ident)
        line = node.start_mark.line + 1
        return Node(value, self.file, line, path, 0 if key_line == line else key_line)

    def count(self, node: yaml.Node, path: str, repeated: bool) -> None:
        """go-yaml's alias accounting; a scalar alias alone cannot multiply a document."""
        self.decoded += 1
        if self.alias_depth or repeated:
            self.aliased += 1
            if self.aliased > 100 and self.decoded > 1000 and (
                    self.aliased / self.decoded > _allowed_alias_ratio(self.decoded)):
                raise DocumentAborted(self.error(node, path, "excessive aliasing: the aliases of "
                                                 "this document expand to most of its nodes"))

    def scalar(self, node: yaml.ScalarNode, path: str) -> Any:
        tag = node.tag
        text = node.value
        if tag is _STR_TAG or (tag is _PLAIN and text not in WORDS
                               and text[0] not in NUMBER_START):
            return text
        try:
            value = plain(node.value) if tag == _PLAIN else tagged(tag, node.value)
        except ScalarError as exc:
            self.errors.append(self.error(node, path, str(exc)))
            return node.value
        if value is NOT_JSON:
            self.errors.append(self.error(
                node, path, f"{shorten(node.value)} is not a number JSON can hold "
                "(Kubernetes rejects infinite and NaN values)"))
            return node.value
        return value

    def key(self, node: yaml.Node, path: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self.errors.append(self.error(node, path, "a map or a list cannot be a key"))
            return None
        try:
            if node.tag == _PLAIN:
                return plain_key(node.value)
            if node.tag == _STR_TAG:
                return str(node.value)
            return key_text(tagged(node.tag, node.value))
        except ScalarError as exc:
            shown = f" {shorten(node.value)}" if node.value else ""
            self.errors.append(self.error(node, path, f"key{shown}: {exc}"))
            return None

    def mapping(self, node: yaml.MappingNode, path: str, depth: int) -> dict[str, Node]:
        out: dict[str, Node] = {}
        written: dict[str, tuple[int, yaml.Node]] = {}  # key -> (entry index, key node)
        merges: list[tuple[int, yaml.Node]] = []  # (entry index, merged value)
        prefix = f"{path}." if path else ""
        file = self.file
        for index, (key_node, value_node) in enumerate(node.value):
            text = key_node.value
            if key_node.tag is _PLAIN and text not in WORDS and text[0] not in NUMBER_START:
                key = text  # the common case: a plain word
                if text == "<<":
                    merges.append((index, value_node))
                    continue
            elif key_node.tag == _MERGE_TAG:
                merges.append((index, value_node))
                continue
            else:
                resolved = self.key(key_node, path)
                if resolved is None:
                    continue
                key = resolved
            child = prefix + key
            if key in written:
                self.errors.append(ValidationError(
                    Position(self.file, key_node.start_mark.line + 1), child,
                    f"duplicate key (first at line {written[key][1].start_mark.line + 1})"))
                continue
            written[key] = (index, key_node)
            if value_node.__class__ is yaml.ScalarNode:  # inlined convert(): most values
                if self.alias_depth:
                    self.count(value_node, child, False)
                else:
                    self.decoded += 1
                text = value_node.value
                tag = value_node.tag
                value = text if (tag is _STR_TAG or (
                    tag is _PLAIN and text not in WORDS and text[0] not in NUMBER_START)) \
                    else self.scalar(value_node, child)
                line = value_node.start_mark.line + 1
                key_line = key_node.start_mark.line + 1
                out[key] = Node(value, file, line, child, 0 if key_line == line else key_line)
            else:
                out[key] = self.convert(value_node, child, depth + 1,
                                        key_node.start_mark.line + 1)
        for index, value_node in merges:
            self.merge(path, depth, out, written, index, value_node)
        return out

    def merge(self, path: str, depth: int, out: dict[str, Node],
              written: dict[str, tuple[int, yaml.Node]], index: int,
              value_node: yaml.Node) -> None:
        """``<<``: keys written in the map win, then earlier merged maps (YAML's merge rule)."""
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        if not all(isinstance(s, yaml.MappingNode) for s in sources):
            self.errors.append(self.error(value_node, path or "<<",
                                          "<< merges a map or a list of maps"))
            return
        merge_line = value_node.start_mark.line + 1
        for source in sources:
            merged = self.convert(source, path, depth)
            for key, child in merged.value.items():
                if key in written and written[key][0] < index:
                    # go-yaml v2 would let this later merge replace the value written above
                    line = written[key][1].start_mark.line + 1
                    self.errors.append(ValidationError(
                        Position(self.file, merge_line), child.path,
                        f"<< merges a key already written at line {line}; "
                        "Kubernetes would take the merged value: put << first"))
                elif key not in out:
                    out[key] = child


def _allowed_alias_ratio(decoded: int) -> float:
    """go-yaml v2's rule: 99% of nodes may come from aliases up to 400,000, 10% from 4,000,000."""
    if decoded <= 400_000:
        return 0.99
    if decoded >= 4_000_000:
        return 0.10
    return 0.99 - 0.89 * (decoded - 400_000) / 3_600_000


def read_documents(text: str, file: str) -> tuple[list[Node], list[ValidationError]]:
    """Every non-empty document of a YAML (or JSON) stream, and every problem found.

    JSON goes to the JSON reader: a ``.json`` file, or standard input whose
    first character is ``{`` (kubectl's test). A document with a problem is
    left out; a syntax error ends the file, since what follows is unreadable.
    """
    if file.lower().endswith(".json") or (file == "<stdin>" and text.lstrip()[:1] == "{"):
        return read_json(text, file)
    bad = _NOT_PRINTABLE.search(text)
    if bad is not None:
        return [], [_character_error(text, bad.start(), file)]
    collecting = gc.isenabled()
    gc.disable()  # the trees built here hold no cycles: collecting while they grow is waste
    try:
        return _read_yaml(text, file)
    finally:
        if collecting:
            gc.enable()


def _read_yaml(text: str, file: str) -> tuple[list[Node], list[ValidationError]]:
    docs: list[Node] = []
    errors: list[ValidationError] = []
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            composer = _Composer(file)
            try:
                doc = composer.document(node)
            except DocumentAborted as exc:
                errors.extend(composer.errors)
                errors.append(exc.error)
                continue
            if composer.errors:
                errors.extend(composer.errors)
            else:
                docs.append(doc)
    except yaml.MarkedYAMLError as exc:
        errors.append(_syntax_error(exc, file))
    except yaml.YAMLError as exc:  # a reader error has an offset, not a line
        offset = getattr(exc, "position", 0) or 0
        line = text.encode("utf-8", "replace")[:offset].count(b"\n") + 1
        errors.append(ValidationError(Position(file, line), "", f"invalid YAML: {exc}"))
    finally:
        loader.dispose()
    return docs, errors


def _syntax_error(exc: yaml.MarkedYAMLError, file: str) -> ValidationError:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else 0
    problem = exc.problem or str(exc)
    if "exceeded maximum nesting depth" in problem:
        problem = "nested too deep for the YAML parser"
    elif exc.context and exc.context not in problem:
        problem = f"{problem} ({exc.context})"
    return ValidationError(Position(file, line), "", f"invalid YAML: {clip(problem, 200)}")


def _character_error(text: str, offset: int, file: str) -> ValidationError:
    line = text.count("\n", 0, offset) + 1
    char = text[offset]
    return ValidationError(Position(file, line), "",
                           f"character U+{ord(char):04X} is not allowed in YAML "
                           "(only tab, line breaks and printable characters are)")


def parse_documents(text: str, file: str) -> Iterator[Node]:
    """Every non-empty document of a YAML (or JSON) stream, with positions.

    Raises the ``ValidationError`` (``InvalidManifests`` for several) of the
    first problems found; ``read_documents`` returns them instead.
    """
    docs, errors = read_documents(text, file)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InvalidManifests(errors)
    yield from docs
