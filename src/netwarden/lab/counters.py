"""``lab stats``: packets and bytes per rule origin, over every node of a lab.

The counters are read by the dataplane's one reader (``netwarden.dataplane.
counters``), which the agent's per-policy metrics use too: rule counters and
the set-element counters of allow-only tiers alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..dataplane import SystemNft
from ..dataplane.counters import Counted, by_origin, comment_origins, read_counters
from ..dataplane.nft.objects import Table
from ..ir import Cluster
from . import Lab
from .enforcement import lab_options

__all__ = ["RuleCounter", "rule_counters"]


@dataclass(frozen=True)
class RuleCounter:
    origin: str       # the rule comment: a policy rule origin, or a default deny / guard
    verdict: str      # "allow", "pass", "drop", "log" or "other"
    packets: int
    bytes: int


def rule_counters(lab: Lab, cluster: Cluster | None = None) -> list[RuleCounter]:
    """Packets and bytes per rule origin and verdict, summed over nodes and endpoints.

    With the ``cluster`` the lab enforces, comments nft's length limit made
    short are reported under their full origin.
    """
    options = lab_options(lab)
    origins = comment_origins(cluster) if cluster is not None else {}
    counted: list[Counted] = []
    for node in lab.nodes:
        counted += read_counters(SystemNft(lab.node_netns(node)), Table(options.table),
                                 options.marks, origins)
    return sorted((RuleCounter(o, v, p, b) for (o, v), (p, b) in by_origin(counted).items()),
                  key=lambda c: (-c.packets, c.origin))
