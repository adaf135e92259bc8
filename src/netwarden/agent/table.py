"""Reading our table back from the kernel: drift, adoption and counters.

nft prints rules in its own normal form, so the kernel's text cannot be
compared with ours. What can be compared is the shape: which chains exist,
and per chain the sequence of rule comments (every rule we write is counted
there, comment or not); which sets and maps exist and, where nft keeps them
element by element, how many elements they have. That catches a flushed or
deleted table, chain or set, and rules added or removed by hand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .._errors import NftError
from ..dataplane import Ruleset
from ..dataplane.nft.backend import NftBackend
from ..dataplane.nft.objects import Map

__all__ = ["Counter", "Shape", "kernel_shape", "read_counters", "ruleset_shape"]

Shape = tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[tuple[str, int], ...]]


def ruleset_shape(ruleset: Ruleset) -> Shape:
    chains = tuple(sorted((c.name, tuple(r.comment or "" for r in c.rules))
                          for c in ruleset.chains))
    sets = []
    for s in ruleset.sets:
        count = len(s.entries) if isinstance(s, Map) else len(s.elements)
        sets.append((s.name, -1 if "interval" in s.flags else count))
    return chains, tuple(sorted(sets))


def _objects(backend: NftBackend, ruleset: Ruleset) -> list[dict[str, Any]] | None:
    try:
        text = backend.list_table(ruleset.table, as_json=True)
    except NftError:
        return None  # no such table
    return list(json.loads(text).get("nftables", []))


def kernel_shape(backend: NftBackend, ruleset: Ruleset) -> Shape | None:
    """The shape of the table as the kernel has it, or None when it does not exist."""
    objects = _objects(backend, ruleset)
    if objects is None:
        return None
    chains: dict[str, list[str]] = {}
    sets: list[tuple[str, int]] = []
    for obj in objects:
        if "chain" in obj:
            chains.setdefault(obj["chain"]["name"], [])
        elif "rule" in obj:
            rule = obj["rule"]
            chains.setdefault(rule["chain"], []).append(rule.get("comment", ""))
        elif "set" in obj or "map" in obj:
            item = obj.get("set") or obj.get("map") or {}
            flags = item.get("flags", [])
            flags = [flags] if isinstance(flags, str) else flags
            sets.append((item["name"], -1 if "interval" in flags else len(item.get("elem", []))))
    return tuple(sorted((k, tuple(v)) for k, v in chains.items())), tuple(sorted(sets))


@dataclass(frozen=True, slots=True)
class Counter:
    """One counted rule: its chain, its comment (the IR origin) and what it saw."""

    chain: str
    comment: str
    packets: int
    bytes: int
    drop: bool


_DEFAULT_DENY = re.compile(r"^(?P<endpoint>\S+) (?P<direction>ingress|egress) tier "
                           r"(?P<tier>\S+) default deny$")


def read_counters(backend: NftBackend, ruleset: Ruleset) -> list[Counter]:
    """Every rule with a counter, from ``nft -j list table``."""
    objects = _objects(backend, ruleset) or []
    out = []
    for obj in objects:
        rule = obj.get("rule")
        if not rule:
            continue
        counter = None
        drop = False
        for expr in rule.get("expr", []):
            if isinstance(expr, dict):
                counter = expr.get("counter", counter)
                drop = drop or "drop" in expr
        if isinstance(counter, dict):
            out.append(Counter(rule["chain"], rule.get("comment", ""), int(counter["packets"]),
                               int(counter["bytes"]), drop))
    return out


def policy_of(comment: str) -> tuple[str, str] | None:
    """(policy id, direction) of an IR-origin comment ``ns/name ingress[0] ...``.

    >>> policy_of("prod/db-in ingress[0] from[1]")
    ('prod/db-in', 'ingress')
    """
    parts = comment.split()
    if len(parts) >= 2 and _DEFAULT_DENY.match(comment) is None:
        direction = parts[1].split("[", 1)[0]
        if direction in ("ingress", "egress"):
            return parts[0], direction
    return None


def default_deny_of(comment: str) -> tuple[str, str, str] | None:
    """(endpoint, direction, tier) of a tier's default-deny drop rule."""
    m = _DEFAULT_DENY.match(comment)
    return (m["endpoint"], m["direction"], m["tier"]) if m else None


def summarize(counters: Iterable[Counter]) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(policy or endpoint, direction, "allow"/"drop") → (packets, bytes), summed."""
    out: dict[tuple[str, str, str], tuple[int, int]] = {}
    for c in counters:
        pol = policy_of(c.comment)
        if pol is not None:
            key = (pol[0], pol[1], "drop" if c.drop else "match")
        else:
            deny = default_deny_of(c.comment)
            if deny is None:
                continue
            key = (f"default-deny:{deny[2]}", deny[1], "drop")
        p, b = out.get(key, (0, 0))
        out[key] = (p + c.packets, b + c.bytes)
    return out
