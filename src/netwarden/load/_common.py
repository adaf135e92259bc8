"""Pieces every Kubernetes parser shares: error gathering, typed fields, metadata, selectors.

A parser does not stop at the first problem: it records each one in a
``Problems`` and carries on with what it can read, so one run reports every
mistake in a manifest. Typed getters return ``None`` (and record why) when a
field has the wrong type, which lets the caller skip just that field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn, TypeVar

from .._errors import InvalidManifests, ValidationError
from ..ir.endpoints import Labels
from ..resources.k8s import LabelSelector, LabelSelectorRequirement, Meta
from . import validation as v
from .registry import Note
from .validation import quote
from .yamlpos import Node

__all__ = ["Problems", "parse_meta", "parse_selector"]

_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
T = TypeVar("T")


class Problems:
    """The errors and notes of one object, raised together by ``check()``.

    The one toolkit of every parser, Kubernetes and Calico: ``add`` places a
    message on a node, ``missing`` says a field is required, ``attempt`` runs a
    check that raises and keeps its error, ``note``/``warn`` tell the user
    something that is not an error.
    """

    def __init__(self, doc: Node) -> None:
        self.doc = doc
        self.errors: list[ValidationError] = []
        self.notes: list[Note] = []

    def add(self, node: Node, message: str, field: str | None = None) -> None:
        self.errors.append(node.error(message, field))

    def missing(self, parent: Node, key: str) -> None:
        self.add(parent, v.REQUIRED, parent.child_path(key))

    def report(self, error: ValidationError) -> None:
        """An error a check already placed (``node.error(...)``)."""
        self.errors.append(error)

    def record(self, exc: ValidationError) -> None:
        """A raised error, or each error of a raised ``InvalidManifests``."""
        self.errors.extend(exc.errors if isinstance(exc, InvalidManifests) else (exc,))

    def attempt(self, read: Callable[[], T]) -> T | None:
        """``read()``, or None after recording the ``ValidationError`` it raised."""
        try:
            return read()
        except ValidationError as exc:
            self.record(exc)
            return None

    def note(self, node: Node, text: str) -> None:
        self.notes.append(Note(node.position, text))

    def warn(self, node: Node, text: str) -> None:
        """Something that may make an answer differ from the cluster's: printed by every command."""
        self.notes.append(Note(node.position, f"{node.path}: {text}", warning=True))

    def check(self) -> None:
        if self.errors:
            self.fail()

    def fail(self) -> NoReturn:
        raise InvalidManifests(self.errors)

    # -- typed fields: None when absent or wrong (the error is recorded) ------
    def _typed(self, node: Node | None, read: Callable[[Node], object]) -> object | None:
        if node is None or node.is_null():
            return None
        try:
            return read(node)
        except ValidationError as exc:
            self.errors.append(exc)
            return None

    def map_(self, node: Node | None) -> dict[str, Node] | None:
        return self._typed(node, Node.expect_map)  # type: ignore[return-value]

    def list_(self, node: Node | None) -> list[Node] | None:
        return self._typed(node, Node.expect_list)  # type: ignore[return-value]

    def str_(self, node: Node | None) -> str | None:
        return self._typed(node, Node.expect_str)  # type: ignore[return-value]

    def int_(self, node: Node | None) -> int | None:
        """An integer as the API server decodes one: ``80.0`` (JSON ``80e0``) is 80."""
        return self._typed(node, _integer)  # type: ignore[return-value]

    def bool_(self, node: Node | None) -> bool | None:
        return self._typed(node, Node.expect_bool)  # type: ignore[return-value]


def _integer(node: Node) -> int:
    number = v.as_integer(node.value)
    if number is None:
        raise node.error(f"must be an integer, got {v.describe(node.value)}")
    return number


def parse_meta(doc: Node, p: Problems, *, namespaced: bool,
               name_rule: Callable[[str], str | None] | None = None) -> Meta | None:
    """``metadata``: a valid name, the namespace (``default`` if absent), labels.

    Namespaces are DNS labels; other objects DNS subdomains, as the API server
    requires of the kinds we read, unless the kind has its own ``name_rule``
    (Services: ``dns1035_label``).
    """
    meta_node = doc.get("metadata")
    fields = p.map_(meta_node)
    if fields is None:
        if meta_node is None or meta_node.is_null():
            p.add(doc, v.REQUIRED, "metadata.name")
        return None
    assert meta_node is not None
    name_check = name_rule or (v.dns1123_subdomain if namespaced else v.dns1123_label)
    name = p.str_(fields.get("name"))
    if name is None:
        if fields.get("name") is None or fields["name"].is_null():
            p.missing(meta_node, "name")
    elif (problem := name_check(name)) is not None:
        p.add(fields["name"], f"invalid name {quote(name)}: {problem}")
        name = None
    namespace: str | None = None
    if namespaced:
        namespace = p.str_(fields.get("namespace")) or "default"
        if (problem := v.dns1123_label(namespace)) is not None:
            p.add(fields["namespace"], f"invalid namespace {quote(namespace)}: {problem}")
    labels = parse_labels(fields.get("labels"), p)
    if name is None or labels is None:
        return None
    return Meta(name, namespace, labels, doc.position)


def parse_labels(node: Node | None, p: Problems) -> Labels | None:
    """A label map with every key and value valid, or None after recording why."""
    fields = p.map_(node)
    if fields is None:
        return Labels() if node is None or node.is_null() else None
    assert node is not None
    pairs = _string_map(node, fields, p)
    return None if pairs is None else Labels(dict(pairs))


def _string_map(node: Node, fields: dict[str, Node], p: Problems) -> list[tuple[str, str]] | None:
    before = len(p.errors)
    pairs: list[tuple[str, str]] = []
    for key, value_node in fields.items():
        if (problem := v.qualified_name(key)) is not None:
            p.add(value_node, f"invalid key {quote(key)}: {problem}", node.path)
            continue
        value = p.str_(value_node) if not value_node.is_null() else ""
        if value is None:
            continue
        if (problem := v.label_value(value)) is not None:
            p.add(value_node, f"invalid value {quote(value)}: {problem}")
            continue
        pairs.append((key, value))
    return pairs if len(p.errors) == before else None


def parse_selector(node: Node, p: Problems) -> LabelSelector | None:
    """A ``LabelSelector`` as the API validates it; ``{}`` (or null) selects everything."""
    fields = p.map_(node)
    if fields is None:
        return LabelSelector(position=node.position) if node.is_null() else None
    before = len(p.errors)
    labels: list[tuple[str, str]] = []
    labels_node = fields.get("matchLabels")
    label_fields = p.map_(labels_node)
    if label_fields and labels_node is not None:
        labels = _string_map(labels_node, label_fields, p) or []
    requirements: list[LabelSelectorRequirement] = []
    for item in p.list_(fields.get("matchExpressions")) or []:
        requirement = _requirement(item, p)
        if requirement is not None:
            requirements.append(requirement)
    if len(p.errors) != before:
        return None
    return LabelSelector(tuple(sorted(labels)), tuple(requirements), node.position)


def _requirement(node: Node, p: Problems) -> LabelSelectorRequirement | None:
    fields = p.map_(node)
    if fields is None:
        return None
    before = len(p.errors)
    key = p.str_(fields.get("key"))
    if key is None:
        if fields.get("key") is None:
            p.missing(node, "key")
    elif (problem := v.qualified_name(key)) is not None:
        p.add(fields["key"], f"invalid key {quote(key)}: {problem}")
    operator = p.str_(fields.get("operator"))
    if operator is None:
        if fields.get("operator") is None:
            p.missing(node, "operator")
    elif operator not in _OPERATORS:
        p.add(fields["operator"], v.unsupported(operator, _OPERATORS))
        operator = None
    values: list[str] = []
    values_node = fields.get("values")
    for item in p.list_(values_node) or []:
        value = p.str_(item)
        if value is not None and (problem := v.label_value(value)) is not None:
            p.add(item, f"invalid value {quote(value)}: {problem}")
        elif value is not None:
            values.append(value)
    if operator in ("In", "NotIn") and not values and len(p.errors) == before:
        p.add(values_node or node, f'must be non-empty when operator is "{operator}"',
              node.child_path("values"))
    if operator in ("Exists", "DoesNotExist") and values_node is not None and values:
        p.add(values_node, f'must be empty when operator is "{operator}"')
    if len(p.errors) != before or key is None or operator is None:
        return None
    return LabelSelectorRequirement(key, operator, tuple(values))
