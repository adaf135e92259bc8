"""Compile a loaded snapshot into the normalized policy IR.

``compile_snapshot`` is the one composition of every producer (Kubernetes,
Calico): the CLI, the lab and the agent all call it. The agent passes a
``CompileMemo`` so that, from one view of the cluster to the next, only the
parsed objects that changed are compiled again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ..ir import Cluster, Endpoint, Namespace, Policy, Tier
from ..resources.snapshot import Snapshot
from .anp import compile_cluster_policies
from .calico import compile_calico
from .ingress import compile_ingress
from .k8s import compile_namespace, compile_network_policy, compile_pod
from .services import compile_services
from .staged import staged_snapshot

__all__ = ["CompileMemo", "compile_snapshot"]

S = TypeVar("S")
T = TypeVar("T")


class CompileMemo:
    """What the last compile made of each parsed object, keyed by the object itself.

    Parsed resources are frozen, and a parse cache hands back the very same
    object while its text is unchanged, so identity says "compiled already".
    Only the objects of the latest snapshot are kept.
    """

    def __init__(self) -> None:
        self._last: dict[int, tuple[object, object]] = {}
        self._next: dict[int, tuple[object, object]] = {}

    def once(self, obj: S, compile_one: Callable[[S], T]) -> T:
        hit = self._last.get(id(obj))
        value = hit[1] if hit is not None and hit[0] is obj else compile_one(obj)
        self._next[id(obj)] = (obj, value)
        return value  # type: ignore[return-value]

    def rotate(self) -> None:
        """Forget the objects that were not in the snapshot just compiled."""
        self._last, self._next = self._next, {}


def compile_snapshot(snapshot: Snapshot, memo: CompileMemo | None = None) -> Cluster:
    """Every producer of IR (Kubernetes, Calico, cluster-wide policies) in one cluster.

    Pure: the same snapshot always gives an equal cluster, with or without a
    ``memo``. Raises ``InvalidManifests`` (``file:line: field: ...``) for what
    the cluster's API would refuse although each object is valid alone, such
    as a Calico policy in an undeclared tier. ``Cluster.warnings`` gathers the
    loader's warnings and the compilers'; ``Cluster.notes`` the loader's notes.

    >>> from netwarden.load import load_texts
    >>> cluster = compile_snapshot(load_texts([("ns.yaml", '''
    ... apiVersion: v1
    ... kind: Namespace
    ... metadata: {name: prod}
    ... ''')]))
    >>> list(cluster.namespaces), cluster.warnings
    (['prod'], ())
    """
    memo = memo if memo is not None else CompileMemo()
    staged = staged_snapshot(snapshot)
    namespaces: dict[str, Namespace] = {
        ns.meta.name: memo.once(ns, compile_namespace) for ns in snapshot.namespaces
    }
    endpoints: list[Endpoint] = [memo.once(p, compile_pod) for p in snapshot.pods]
    policies: list[Policy] = [
        memo.once(np, compile_network_policy) for np in snapshot.network_policies
    ]
    memo.rotate()
    tiers: list[Tier] = []
    warnings = list(snapshot.warnings)
    notes = list(snapshot.notes)
    services = compile_services(snapshot.services, snapshot.endpoint_slices, snapshot.pods,
                                endpoints, snapshot.nodes)
    warnings.extend(services.warnings)
    notes.extend(services.notes)
    if snapshot.calico:
        calico = compile_calico(snapshot.calico, namespaces)
        endpoints.extend(calico.endpoints)
        policies.extend(calico.policies)
        tiers.extend(calico.tiers)
        warnings.extend(calico.warnings)
    if snapshot.cluster_policies:
        admin = compile_cluster_policies(snapshot.cluster_policies, snapshot.nodes)
        policies.extend(admin.policies)
        tiers.extend(admin.tiers)
        warnings.extend(admin.warnings)
    return Cluster(
        endpoints=tuple(endpoints),
        policies=tuple(policies),
        namespaces=namespaces,
        tiers=tuple(tiers),
        notes=tuple(notes),
        warnings=tuple(warnings),
        services=services.services,
        node_addresses=services.node_addresses,
        ingresses=tuple(compile_ingress(i) for i in snapshot.ingresses),
        staged=compile_snapshot(staged) if staged is not None else None,
    )
