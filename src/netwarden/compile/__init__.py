"""Compile a loaded snapshot into the normalized policy IR."""

from __future__ import annotations

from ..ir import Cluster, Tier
from ..resources.snapshot import Snapshot
from .calico import compile_calico
from .k8s import compile_namespace, compile_network_policy, compile_pod

__all__ = ["compile_snapshot"]


def compile_snapshot(snapshot: Snapshot) -> Cluster:
    """Every producer of IR (Kubernetes, Calico) in one cluster.

    Pure: the same snapshot always gives an equal cluster.
    """
    namespaces = {ns.meta.name: compile_namespace(ns) for ns in snapshot.namespaces}
    endpoints = [compile_pod(p) for p in snapshot.pods]
    policies = [compile_network_policy(np) for np in snapshot.network_policies]
    tiers: list[Tier] = []
    if snapshot.calico:
        calico = compile_calico(snapshot.calico, namespaces)
        endpoints.extend(calico.endpoints)
        policies.extend(calico.policies)
        tiers.extend(calico.tiers)
    return Cluster(
        endpoints=tuple(endpoints),
        policies=tuple(policies),
        namespaces=namespaces,
        tiers=tuple(tiers),
        notes=snapshot.notes,
    )
