"""nftables objects and the only code that writes nft syntax.

Objects do not name their table: a ``Transaction`` is bound to one table and
passes its ``family table`` prefix in, as knftables does. Every object can be
validated and can write an ``add``, ``flush`` or ``delete`` command; rule
bodies are plain nft text built with the helpers at the end of this module.

>>> str(Rule("ip saddr @allowed accept", comment="p ingress[0]").body_text())
'ip saddr @allowed accept comment "p ingress[0]"'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

__all__ = [
    "Chain",
    "ChainRules",
    "Element",
    "Map",
    "NftObject",
    "Rule",
    "Set",
    "Table",
    "Verb",
    "concat",
    "quote",
    "set_literal",
]

# nft's scanner accepts identifiers of letters, digits and ``/\-_.``, starting
# with a letter or underscore; the kernel caps names at 256 bytes.
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_./\-]{0,254}$")
_HOOKS = frozenset(("prerouting", "input", "forward", "output", "postrouting", "ingress"))
_POLICIES = frozenset(("accept", "drop"))
_FAMILIES = frozenset(("ip", "ip6", "inet", "arp", "bridge", "netdev"))
COMMENT_MAX = 127  # NFT_USERDATA_MAXLEN is 128 including the trailing NUL


class Verb(Enum):
    ADD = "add"
    FLUSH = "flush"
    DELETE = "delete"


def quote(text: str) -> str:
    """A double-quoted nft string; nft has no escapes, so quotes become ``'``."""
    return '"' + text.replace('"', "'").replace("\n", " ") + '"'


def concat(*parts: str | None) -> str:
    """Join rule fragments with single spaces, skipping empty ones."""
    return " ".join(p.strip() for p in parts if p and p.strip())


def set_literal(values: Iterable[str]) -> str:
    """``a`` for one value, ``{ a, b }`` for several (an anonymous set)."""
    items = list(values)
    if len(items) == 1:
        return items[0]
    return "{ " + ", ".join(items) + " }"


def _check_name(kind: str, name: str) -> str | None:
    return None if _NAME.match(name) else f"invalid {kind} name {name!r}"


def _check_comment(comment: str | None) -> str | None:
    if comment is not None and len(comment.encode()) > COMMENT_MAX:
        return f"comment longer than {COMMENT_MAX} bytes: {comment!r}"
    return None


def _comment_clause(comment: str | None) -> str:
    return f" comment {quote(comment)}" if comment else ""


class NftObject:
    """Base of the objects a ``Transaction`` accepts."""

    __slots__ = ()

    def validate(self, verb: Verb) -> str | None:
        """The reason ``verb`` cannot be written for this object, or None."""
        raise NotImplementedError

    def write(self, verb: Verb, table: str) -> list[str]:
        """nft commands for ``verb``; ``table`` is ``family name``."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Table(NftObject):
    name: str
    family: str = "inet"
    comment: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.family} {self.name}"

    def validate(self, verb: Verb) -> str | None:
        if self.family not in _FAMILIES:
            return f"invalid family {self.family!r}"
        return _check_name("table", self.name) or _check_comment(self.comment)

    def write(self, verb: Verb, table: str) -> list[str]:
        if verb is Verb.ADD and self.comment:
            return [f"add table {self.ref} {{ comment {quote(self.comment)} ; }}"]
        return [f"{verb.value} table {self.ref}"]


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule body; ``(body, comment)`` is its identity (handles are not used)."""

    body: str
    comment: str | None = None

    def body_text(self) -> str:
        return self.body + _comment_clause(self.comment)

    def validate(self) -> str | None:
        if not self.body.strip():
            return "empty rule"
        if "\n" in self.body or ";" in self.body:
            return f"rule must be one statement list: {self.body!r}"
        return _check_comment(self.comment)


@dataclass(frozen=True, slots=True)
class Chain(NftObject):
    """A chain and its rules; a base chain has ``type``, ``hook`` and ``priority``.

    ``add`` declares the chain and appends its rules, so ``flush`` + ``add``
    rewrites a chain in place without touching the jumps that reach it.
    """

    name: str
    rules: tuple[Rule, ...] = ()
    type: str | None = None
    hook: str | None = None
    priority: int | None = None
    policy: str | None = None
    comment: str | None = None

    @property
    def is_base(self) -> bool:
        return self.hook is not None

    def declaration(self, table: str) -> str:
        text = f"add chain {table} {self.name}"
        if self.is_base:
            spec = f"type {self.type} hook {self.hook} priority {self.priority} ;"
            if self.policy:
                spec += f" policy {self.policy} ;"
            if self.comment:
                spec += f" comment {quote(self.comment)} ;"
            return f"{text} {{ {spec} }}"
        if self.comment:
            return f"{text} {{ comment {quote(self.comment)} ; }}"
        return text

    def rule_lines(self, table: str) -> list[str]:
        return [f"add rule {table} {self.name} {r.body_text()}" for r in self.rules]

    def validate(self, verb: Verb) -> str | None:
        problem = _check_name("chain", self.name)
        if problem or verb is not Verb.ADD:
            return problem
        base = (self.type, self.hook, self.priority)
        if any(v is not None for v in base) and any(v is None for v in base):
            return f"chain {self.name}: base chains need type, hook and priority"
        if self.hook is not None and self.hook not in _HOOKS:
            return f"chain {self.name}: unknown hook {self.hook!r}"
        if self.policy is not None and (self.policy not in _POLICIES or not self.is_base):
            return f"chain {self.name}: policy {self.policy!r} needs a base chain"
        for rule in self.rules:
            problem = rule.validate()
            if problem:
                return f"chain {self.name}: {problem}"
        return _check_comment(self.comment)

    def write(self, verb: Verb, table: str) -> list[str]:
        if verb is Verb.ADD:
            return [self.declaration(table), *self.rule_lines(table)]
        return [f"{verb.value} chain {table} {self.name}"]


@dataclass(frozen=True, slots=True)
class ChainRules(NftObject):
    """Only the rules of ``chain``, appended to the existing chain of that name.

    Refilling a flushed chain this way keeps the batch to what changed (no
    re-declaration); nft refuses it if the chain does not exist.
    """

    chain: Chain

    def validate(self, verb: Verb) -> str | None:
        if verb is not Verb.ADD:
            return f"chain rules of {self.chain.name} can only be added"
        return self.chain.validate(verb)

    def write(self, verb: Verb, table: str) -> list[str]:
        return self.chain.rule_lines(table)


@dataclass(frozen=True, slots=True)
class Set(NftObject):
    """A named set; ``type`` may be a concatenation (``ipv4_addr . inet_service``)."""

    name: str
    type: str
    flags: tuple[str, ...] = ()
    elements: tuple[str, ...] = ()
    comment: str | None = None
    counter: bool = False  # a counter on every element (``counter`` in the declaration)

    keyword = "set"

    def spec(self) -> str:
        spec = f"type {self.type} ;"
        if self.flags:
            spec += f" flags {','.join(self.flags)} ;"
        if self.counter:
            spec += " counter ;"
        if self.comment:
            spec += f" comment {quote(self.comment)} ;"
        return spec

    def element_texts(self) -> tuple[str, ...]:
        return self.elements

    def validate(self, verb: Verb) -> str | None:
        problem = _check_name(self.keyword, self.name)
        if problem or verb is not Verb.ADD:
            return problem
        if not self.type.strip():
            return f"{self.keyword} {self.name}: empty type"
        if any(not e.strip() or "\n" in e for e in self.element_texts()):
            return f"{self.keyword} {self.name}: empty or multi-line element"
        return _check_comment(self.comment)

    def write(self, verb: Verb, table: str) -> list[str]:
        ref = f"{self.keyword} {table} {self.name}"
        if verb is not Verb.ADD:
            return [f"{verb.value} {ref}"]
        lines = [f"add {ref} {{ {self.spec()} }}"]
        items = self.element_texts()
        if items:
            lines.append(f"add element {table} {self.name} {{ {', '.join(items)} }}")
        return lines


@dataclass(frozen=True, slots=True)
class Map(Set):
    """A map (``ifname : verdict`` for dispatch); ``entries`` are key → value."""

    entries: tuple[tuple[str, str], ...] = field(default=())

    keyword = "map"

    def element_texts(self) -> tuple[str, ...]:
        return tuple(f"{k} : {v}" for k, v in self.entries)


@dataclass(frozen=True, slots=True)
class Element(NftObject):
    """One element of a set (``value`` None) or map, added or deleted on its own."""

    container: str
    key: str
    value: str | None = None

    def text(self) -> str:
        return self.key if self.value is None else f"{self.key} : {self.value}"

    def validate(self, verb: Verb) -> str | None:
        if verb is Verb.FLUSH:
            return "elements cannot be flushed"
        if not self.key.strip() or "\n" in self.text():
            return f"element of {self.container}: empty or multi-line"
        return _check_name("set", self.container)

    def write(self, verb: Verb, table: str) -> list[str]:
        # Deleting a map element names only its key.
        text = self.text() if verb is Verb.ADD else self.key
        return [f"{verb.value} element {table} {self.container} {{ {text} }}"]
