"""What every lint check reads: the cluster, its connectivity, and helpers over them.

Built once per lint run so checks share the (cached) connectivity sides and
peer masks instead of each recomputing them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

from .._errors import Position
from ..engine import Engine
from ..engine.candidates import LabelIndex
from ..ir import Cluster, Direction, Endpoint, EntityMatch, Policy, PolicyKind, Rule, Scope
from ..ir.selector import Selector
from .external import ExternalConnectivity

__all__ = ["LintContext", "PeerRef", "names"]


@dataclass(frozen=True, slots=True)
class PeerRef:
    """One item of a Kubernetes from/to list (or one Calico rule side), as the IR keeps it."""

    policy: Policy
    direction: Direction
    rule: Rule          # the first IR rule made from this item
    match: EntityMatch  # the far side: who the item admits

    @property
    def where(self) -> Position | None:
        return self.rule.origin.position or self.policy.position

    @property
    def label(self) -> str:
        o = self.rule.origin
        text = f"{self.policy.id} {o.direction.lower}[{o.rule}]"
        if o.peer is not None:
            text += f" {'from' if o.direction is Direction.INGRESS else 'to'}[{o.peer}]"
        return text


class LintContext:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.engine = Engine(cluster)
        self.conn = ExternalConnectivity(cluster, self.engine.index)

    @cached_property
    def policies(self) -> tuple[Policy, ...]:
        return tuple(p for _, ps in self.cluster.evaluation_order for p in ps)

    @cached_property
    def has_pods(self) -> bool:
        return bool(self.cluster.pods)

    def ns_labels(self, name: str):  # type: ignore[no-untyped-def]
        return self.cluster.ns_labels(name)

    def pod_classes(self) -> range:
        return range(len(self.conn.classes) - len(self.conn.external))

    def selected(self, policy: Policy) -> list[Endpoint]:
        """Policed endpoints the policy applies to (any direction)."""
        ns_labels = self.cluster.ns_labels
        return [e for e in self.narrowed(self.cluster.endpoints, policy.selector, policy.scope)
                if policy.applies_to(e, ns_labels)]

    def narrowed(self, pool: tuple[Endpoint, ...], selector: Selector | None,
                 scope: Scope | None) -> Sequence[Endpoint]:
        """The endpoints of ``pool`` that ``selector`` within ``scope`` may match, in order.

        ``pool`` is ``cluster.endpoints`` or ``cluster.pods``. A necessary condition
        only (the labels an equality selector requires, the namespaces a scope
        admits), so a check still tests its match on each; it saves testing every
        endpoint against each of thousands of peers.
        """
        if pool is self.cluster.endpoints:
            index = self._endpoint_labels
        elif pool is self.cluster.pods:
            index = self._pod_labels
        else:
            raise ValueError("narrowed: the pool is the cluster's endpoints or pods")
        found = index.candidates(selector, scope, self.cluster.ns_labels)
        return pool if found is None else [pool[i] for i in found]

    @cached_property
    def _endpoint_labels(self) -> LabelIndex:
        return LabelIndex([(e.namespace, e.labels) for e in self.cluster.endpoints])

    @cached_property
    def _pod_labels(self) -> LabelIndex:
        return LabelIndex([(e.namespace, e.labels) for e in self.cluster.pods])

    def peers(self) -> Iterator[PeerRef]:
        """Each far-side item once (a Kubernetes item with two ports is two IR rules)."""
        for policy in self.policies:
            for direction in (Direction.INGRESS, Direction.EGRESS):
                seen: set[tuple[int, int | None]] = set()
                for rule in policy.rules(direction):
                    o = rule.origin
                    key = (o.rule, o.peer)
                    if key in seen:
                        continue
                    seen.add(key)
                    remote = rule.source if direction is Direction.INGRESS else rule.destination
                    yield PeerRef(policy, direction, rule, remote)

    def k8s_rule_items(self, policy: Policy, direction: Direction) -> dict[int, list[PeerRef]]:
        """Kubernetes rule index → its from/to items in order."""
        out: dict[int, list[PeerRef]] = {}
        if policy.kind is not PolicyKind.K8S:
            return out
        seen: set[tuple[int, int | None]] = set()
        for rule in policy.rules(direction):
            o = rule.origin
            if o.peer is None or (o.rule, o.peer) in seen:
                continue
            seen.add((o.rule, o.peer))
            remote = rule.source if direction is Direction.INGRESS else rule.destination
            out.setdefault(o.rule, []).append(PeerRef(policy, direction, rule, remote))
        return out


def names(endpoints: list[Endpoint] | tuple[Endpoint, ...], limit: int = 6) -> str:
    """``a, b, c (+4 more)``: endpoint keys for messages (workloads by their name)."""
    keys = sorted({_display(e) for e in endpoints})
    shown = ", ".join(keys[:limit])
    return shown + (f" (+{len(keys) - limit} more)" if len(keys) > limit else "")


def _display(e: Endpoint) -> str:
    if e.workload and e.namespace:
        return f"{e.namespace}/{e.workload}"
    return e.key
