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
from .selector import And, Eq, Selector

__all__ = ["Layers", "PolicyIndex", "required_labels"]

Layers = tuple[tuple[Tier, tuple[Policy, ...]], ...]
"""Tiers that take part, in order, each with its applicable policies in order."""

_Entry = tuple[int, int, Tier, Policy]
"""A policy with its position in the evaluation order and its tier's."""


def required_labels(selector: Selector | None) -> tuple[tuple[str, str], ...]:
    """``(key, value)`` pairs every endpoint (or labels) the selector matches carries.

    An equality, or an ``And`` with equalities among its terms: a necessary
    condition, never the whole selector, so callers still test the selector.

    >>> required_labels(And((Eq("app", "web"), Eq("tier", "front"))))
    (('app', 'web'), ('tier', 'front'))
    """
    if isinstance(selector, Eq):
        return ((selector.key, selector.value),)
    if isinstance(selector, And):
        return tuple(pair for op in selector.operands for pair in required_labels(op))
    return ()


class _Bucket:
    """The policies of one namespace (or of none): by one label their selector requires,
    and those whose selector requires none."""

    __slots__ = ("by_label", "unkeyed")

    def __init__(self) -> None:
        self.by_label: dict[tuple[str, str], list[_Entry]] = defaultdict(list)
        self.unkeyed: list[_Entry] = []

    def add(self, entry: _Entry) -> None:
        required = required_labels(entry[3].selector)
        if required:
            self.by_label[required[0]].append(entry)
        else:
            self.unkeyed.append(entry)

    def candidates(self, endpoint: Endpoint) -> list[_Entry]:
        """Every policy of the bucket whose selector may match ``endpoint``'s labels."""
        out = list(self.unkeyed)
        for pair in endpoint.labels.items():
            found = self.by_label.get(pair)
            if found:
                out += found
        return out


class PolicyIndex:
    """Which policies apply to an endpoint, per direction, in evaluation order.

    Candidates are looked up instead of scanned, so a check does not test every
    policy of a large cluster: by the namespace a policy is confined to (or
    none), then by one ``(key, value)`` its selector requires (an endpoint
    without that label cannot be selected); a policy whose selector requires
    no label is always a candidate. Each candidate is then tested in full
    (``Policy.applies_to``), so the answer is the full scan's; a property
    test holds them equal. Results are cached per endpoint key.

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
        by_ns: dict[str | None, _Bucket] = defaultdict(_Bucket)
        position = 0
        for tier_index, (tier, policies) in enumerate(cluster.evaluation_order):
            for policy in policies:
                by_ns[policy.scope.namespace].add((position, tier_index, tier, policy))
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
        # A policy confined to a namespace is in that namespace's bucket; every other
        # (cluster-wide, by namespace labels, non-namespaced only) is in None's.
        candidates: list[_Entry] = []
        for namespace in {None, endpoint.namespace}:
            bucket = self._by_ns.get(namespace)
            if bucket is not None:
                candidates += bucket.candidates(endpoint)
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
