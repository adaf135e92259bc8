"""The pieces of the report's graph: nodes (matrix rows), boxes (drawn nodes), edges.

>>> plural(1, "namespace"), plural(3, "policy"), plural(0, "address")
('1 namespace', '3 policies', '0 addresses')
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["OUTSIDE", "Box", "Edge", "Node", "plural"]

OUTSIDE = "outside the cluster"

_IRREGULAR = {"policy": "policies", "address": "addresses", "class": "classes"}


def plural(count: int, word: str) -> str:
    """``count`` and ``word``, in the plural unless the count is one."""
    return f"{count} {word if count == 1 else _IRREGULAR.get(word, word + 's')}"


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    label: str                 # what the box says
    namespace: str | None      # None: outside the cluster
    members: tuple[str, ...]   # endpoint keys
    service: str = ""          # the Service its members back (``ns/svc/name``), if one

    @property
    def outside(self) -> bool:
        return self.namespace is None


@dataclass(frozen=True, slots=True)
class Box:
    """One node of the drawn graph: a pod node, or an outside node on one side."""

    id: str
    node: Node
    role: str = ""   # "in" (connections from outside), "out" (to outside), "" for pods

    @property
    def label(self) -> str:
        if self.role == "in":
            return f"{self.node.label}\n(connections in)"
        if self.role == "out":
            return f"{self.node.label}\n(connections out)"
        return self.node.label


@dataclass(frozen=True, slots=True)
class Edge:
    """One line between two boxes; ``forward`` and ``backward`` are the services each way."""

    id: str
    source: str
    target: str
    forward: str       # services text source → target ("" when none)
    backward: str      # services text target → source ("" when none)
    partial: bool      # some members of a merged node only (outside ranges that differ)
    tail_ns: str | None = None   # bundled: from every box of this namespace (source: one of them)
    head_ns: str | None = None   # bundled: to every box of this namespace

    @property
    def label(self) -> str:
        if self.forward and self.backward:
            if self.forward == self.backward:
                return self.forward + " (both ways)"
            return f"→ {self.forward}\n← {self.backward}"
        return self.forward or self.backward
