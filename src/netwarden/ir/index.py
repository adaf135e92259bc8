"""Which tiers and policies apply to an endpoint, per direction, in evaluation order.

The one lookup the engine (one packet, or the connectivity map) and the
dataplane (a pod's chains, a host endpoint's hooks) share, so the policies an
answer is computed from are the policies the ruleset enforces.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from .cluster import Cluster
from .endpoints import Endpoint
from .policy import Direction, Policy, Stage, Tier

__all__ = ["Layers", "PolicyIndex"]

Layers = tuple[tuple[Tier, tuple[Policy, ...]], ...]
"""Tiers that take part, in order, each with its applicable policies in order."""


class PolicyIndex:
    """Which policies apply to an endpoint, per direction, in evaluation order.

    Namespaced policies are looked up by namespace first so a check does not
    test every policy of a large cluster. Results are cached per endpoint key.

    >>> from netwarden.ir import Endpoint, EndpointKind, PolicyKind, selector
    >>> web = Endpoint("prod/web", EndpointKind.POD, "web", "prod")
    >>> deny_all = Policy("deny-all", PolicyKind.K8S, "prod", selector.All(),
    ...                   frozenset({Direction.INGRESS}))
    >>> index = PolicyIndex(Cluster(endpoints=(web,), policies=(deny_all,)))
    >>> [(t.name, [p.id for p in ps]) for t, ps in index.layers(web, Direction.INGRESS)]
    [('default', ['prod/deny-all'])]
    >>> index.layers(web, Direction.EGRESS)
    ()
    """

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        by_ns: dict[str | None, list[tuple[int, int, Tier, Policy]]] = defaultdict(list)
        position = 0
        for tier_index, (tier, policies) in enumerate(cluster.evaluation_order):
            for policy in policies:
                by_ns[policy.scope.namespace].append((position, tier_index, tier, policy))
                position += 1
        self._by_ns = dict(by_ns)
        self._cache: dict[tuple[str, Direction, bool, frozenset[Stage] | None], Layers] = {}

    def layers(
        self,
        endpoint: Endpoint,
        direction: Direction,
        forwarded: bool = False,
        stages: Collection[Stage] | None = None,
    ) -> Layers:
        """The tiers taking part for ``endpoint`` in ``direction``, with their policies.

        ``forwarded``: traffic crossing host endpoint ``endpoint`` on its way
        to or from somewhere else, which only ``applyOnForward`` policies see.
        ``stages``: only tiers of these stages (every stage when None), as a
        dataplane hook that runs one part of Felix's pipeline needs.
        """
        wanted = frozenset(stages) if stages is not None else None
        key = (endpoint.key, direction, forwarded, wanted)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._layers(endpoint, direction, forwarded, wanted)
        return cached

    def _layers(self, endpoint: Endpoint, direction: Direction, forwarded: bool,
                stages: frozenset[Stage] | None) -> Layers:
        if not endpoint.is_policed:
            return ()
        candidates = list(self._by_ns.get(None, ()))
        if endpoint.namespace is not None:
            candidates += self._by_ns.get(endpoint.namespace, ())
        candidates.sort(key=lambda item: item[0])
        ns_labels = self.cluster.ns_labels
        grouped: dict[int, tuple[Tier, list[Policy]]] = {}
        for _, tier_index, tier, policy in candidates:
            if stages is not None and tier.stage not in stages:
                continue
            if forwarded and not policy.apply_on_forward:
                continue
            if direction in policy.types and policy.applies_to(endpoint, ns_labels):
                grouped.setdefault(tier_index, (tier, []))[1].append(policy)
        return tuple(
            (tier, tuple(policies)) for _, (tier, policies) in sorted(grouped.items())
        )
