"""Reading our table's shape back from the kernel: drift and adoption.

nft prints rules in its own normal form, so the kernel's text cannot be
compared with ours. What can be compared is the shape: which chains exist,
and per chain the sequence of rule comments (every rule we write is counted
there, comment or not); which sets and maps exist and, where nft keeps them
element by element, how many elements they have. That catches a flushed or
deleted table, chain or set, and rules added or removed by hand.
"""

from __future__ import annotations

import json
from typing import Any

from .._errors import NftError
from .nft.backend import NftBackend
from .nft.objects import Map
from .ruleset import Ruleset

__all__ = ["Shape", "kernel_shape", "ruleset_shape"]

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
