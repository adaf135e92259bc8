"""Label selectors as one expression tree.

Kubernetes label selectors (matchLabels/matchExpressions) and Calico's selector
language both compile to these nodes, so the engine and the nftables compiler
match labels with one piece of code. The semantics are Calico's, which agree
with Kubernetes on everything Kubernetes can express: a missing label makes
``!=`` and ``not in`` true and every other comparison false.

>>> sel = And((Eq("app", "db"), Not(Has("canary"))))
>>> sel.matches({"app": "db"}), str(sel)
(True, 'app == "db" && !has(canary)')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "All",
    "And",
    "Contains",
    "EndsWith",
    "Eq",
    "Global",
    "Has",
    "In",
    "Ne",
    "Not",
    "NotIn",
    "Or",
    "Selector",
    "StartsWith",
    "quote",
]

Labels = Mapping[str, str]


def quote(value: str) -> str:
    """Quote a label value for the canonical form (double quotes unless it has one)."""
    return f"'{value}'" if '"' in value else f'"{value}"'


class Selector:
    """Base of every selector node: ``matches(labels)`` and a canonical ``str``."""

    __slots__ = ()

    def matches(self, labels: Labels) -> bool:
        raise NotImplementedError

    def keys(self) -> frozenset[str]:
        """Label keys the selector reads: pods are grouped by these only."""
        raise NotImplementedError

    @property
    def is_all(self) -> bool:
        return False

    def _precedence(self) -> int:
        return 3


@dataclass(frozen=True, slots=True)
class All(Selector):
    """``all()``: every endpoint (and the empty selector)."""

    def matches(self, labels: Labels) -> bool:
        return True

    def keys(self) -> frozenset[str]:
        return frozenset()

    @property
    def is_all(self) -> bool:
        return True

    def __str__(self) -> str:
        return "all()"


@dataclass(frozen=True, slots=True)
class Global(Selector):
    """``global()``: in a namespaceSelector, the non-namespaced endpoints.

    On a label set it matches nothing: resolving it needs to know whether the
    endpoint has a namespace, which the IR's scope handles (``GlobalScope``).
    """

    def matches(self, labels: Labels) -> bool:
        return False

    def keys(self) -> frozenset[str]:
        return frozenset()

    def __str__(self) -> str:
        return "global()"


@dataclass(frozen=True, slots=True)
class Has(Selector):
    key: str

    def matches(self, labels: Labels) -> bool:
        return self.key in labels

    def keys(self) -> frozenset[str]:
        return frozenset((self.key,))

    def __str__(self) -> str:
        return f"has({self.key})"


@dataclass(frozen=True, slots=True)
class Eq(Selector):
    key: str
    value: str

    def matches(self, labels: Labels) -> bool:
        return labels.get(self.key) == self.value

    def keys(self) -> frozenset[str]:
        return frozenset((self.key,))

    def __str__(self) -> str:
        return f"{self.key} == {quote(self.value)}"


@dataclass(frozen=True, slots=True)
class Ne(Selector):
    key: str
    value: str

    def matches(self, labels: Labels) -> bool:
        return labels.get(self.key) != self.value

    def keys(self) -> frozenset[str]:
        return frozenset((self.key,))

    def __str__(self) -> str:
        return f"{self.key} != {quote(self.value)}"


@dataclass(frozen=True, slots=True)
class In(Selector):
    key: str
    values: frozenset[str]

    def matches(self, labels: Labels) -> bool:
        value = labels.get(self.key)
        return value is not None and value in self.values

    def keys(self) -> frozenset[str]:
        return frozenset((self.key,))

    def __str__(self) -> str:
        return f"{self.key} in {{{', '.join(quote(v) for v in sorted(self.values))}}}"


@dataclass(frozen=True, slots=True)
class NotIn(Selector):
    key: str
    values: frozenset[str]

    def matches(self, labels: Labels) -> bool:
        value = labels.get(self.key)
        return value is None or value not in self.values

    def keys(self) -> frozenset[str]:
        return frozenset((self.key,))

    def __str__(self) -> str:
        return f"{self.key} not in {{{', '.join(quote(v) for v in sorted(self.values))}}}"


@dataclass(frozen=True, slots=True)
class Contains(Selector):
    key: str
    value: str

    def matches(self, labels: Labels) -> bool:
        actual = labels.get(self.key)
        return actual is not None and self.value in actual

    def keys(self) -> frozenset[str]:
        return frozenset((self.key,))

    def __str__(self) -> str:
        return f"{self.key} contains {quote(self.value)}"


@dataclass(frozen=True, slots=True)
class StartsWith(Selector):
    key: str
    value: str

    def matches(self, labels: Labels) -> bool:
        actual = labels.get(self.key)
        return actual is not None and actual.startswith(self.value)

    def keys(self) -> frozenset[str]:
        return frozenset((self.key,))

    def __str__(self) -> str:
        return f"{self.key} starts with {quote(self.value)}"


@dataclass(frozen=True, slots=True)
class EndsWith(Selector):
    key: str
    value: str

    def matches(self, labels: Labels) -> bool:
        actual = labels.get(self.key)
        return actual is not None and actual.endswith(self.value)

    def keys(self) -> frozenset[str]:
        return frozenset((self.key,))

    def __str__(self) -> str:
        return f"{self.key} ends with {quote(self.value)}"


@dataclass(frozen=True, slots=True)
class Not(Selector):
    operand: Selector

    def matches(self, labels: Labels) -> bool:
        return not self.operand.matches(labels)

    def keys(self) -> frozenset[str]:
        return self.operand.keys()

    def __str__(self) -> str:
        inner = str(self.operand)
        if self.operand._precedence() < 3:
            inner = f"({inner})"
        return f"!{inner}"


@dataclass(frozen=True, slots=True)
class And(Selector):
    operands: tuple[Selector, ...]

    def matches(self, labels: Labels) -> bool:
        return all(op.matches(labels) for op in self.operands)

    def keys(self) -> frozenset[str]:
        return frozenset().union(*(op.keys() for op in self.operands))

    def _precedence(self) -> int:
        return 2

    def __str__(self) -> str:
        return " && ".join(
            f"({op})" if op._precedence() < 2 else str(op) for op in self.operands
        )


@dataclass(frozen=True, slots=True)
class Or(Selector):
    operands: tuple[Selector, ...]

    def matches(self, labels: Labels) -> bool:
        return any(op.matches(labels) for op in self.operands)

    def keys(self) -> frozenset[str]:
        return frozenset().union(*(op.keys() for op in self.operands))

    def _precedence(self) -> int:
        return 1

    def __str__(self) -> str:
        return " || ".join(str(op) for op in self.operands)


def conjunction(parts: list[Selector]) -> Selector:
    """``And`` of the parts, flattened; no parts is ``all()``."""
    flat: list[Selector] = []
    for part in parts:
        if part.is_all:
            continue
        flat.extend(part.operands if isinstance(part, And) else (part,))
    if not flat:
        return All()
    return flat[0] if len(flat) == 1 else And(tuple(flat))
